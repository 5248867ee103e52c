import { readFile } from 'node:fs/promises'
import t from 'tap'
import { configSchema, loadConfig } from '../src/index.js'

const root = new URL('../../../', import.meta.url)

t.test('the HTTP timeouts: defaults, and the header timeout within the request timeout', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    REQUEST_TIMEOUT_MS: 60_000,
    HEADERS_TIMEOUT_MS: 10_000,
    CONNECTION_TIMEOUT_MS: 120_000,
    KEEP_ALIVE_TIMEOUT_MS: 72_000,
  })
  t.match(loadConfig({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '500' }), {
    REQUEST_TIMEOUT_MS: 1000,
    HEADERS_TIMEOUT_MS: 500,
  })
  t.throws(
    () => loadConfig({ REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '2000' }),
    /HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS/,
  )
  t.throws(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' }), 'a timeout cannot be turned off')
})

t.test('every variable is in .env.example and in the README’s configuration table', async (t) => {
  const example = await readFile(new URL('.env.example', root), 'utf8')
  const readme = await readFile(new URL('README.md', root), 'utf8')
  for (const name of Object.keys(configSchema.properties)) {
    t.match(example, new RegExp(`^#? ?${name}=`, 'm'), `.env.example: ${name}`)
    t.match(readme, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `README: ${name}`)
  }
})
