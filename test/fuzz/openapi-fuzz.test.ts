import t from 'tap'
import { build, TEST_SECRET, token } from '../../apps/api/test/helper.js'
import { makeAnswerChecks } from './answer-checks.js'
import { fuzzContract, summary } from './contract-fuzzer.js'
import { type Json, operationsOf } from './openapi-operations.js'
import { rawRequest } from './raw-http.js'

// CI: a fixed seed and a bounded number of cases; `pnpm fuzz` sets FUZZ_SEED (random) and FUZZ_RUNS (100,000).
const seed = Number(process.env.FUZZ_SEED ?? 20_261_129)
const runs = Number(process.env.FUZZ_RUNS ?? 3000)

t.test(
  'every operation of the served OpenAPI document answers fuzzed requests as documented',
  { skip: process.env.TEST_STORE === 'mongodb' ? 'the store digest reads PostgreSQL tables' : false },
  async (t) => {
    const app = await build(t, { RATE_LIMIT_PER_MINUTE: '0' })
    t.comment(`fuzz: seed ${seed}, ${runs} cases (FUZZ_SEED=${seed} FUZZ_RUNS=${runs} replays it)`)
    const report = await fuzzContract(app, {
      seed,
      runs,
      storeUrl: app.config.STORE_URL,
      tokens: {
        // Valid for as long as a long run may take (the default is 10 minutes)
        valid: token({ expiresIn: 24 * 3600 }),
        readOnly: token({ scopes: ['events:read'], expiresIn: 24 * 3600 }),
        expired: token({ expiresIn: -60 }),
        wrongSecret: token({ key: `${TEST_SECRET}-but-another-one` }),
        unsigned: token({ algorithm: 'none' }),
      },
      log: (line) => t.comment(line),
      ...(process.env.FUZZ_OPERATIONS ? { only: process.env.FUZZ_OPERATIONS.split(',') } : {}),
    })
    for (const failure of report.failures) t.fail(`${failure.operationId} (seed ${failure.seed}): see above`)
    t.comment(summary(report))
    if (!process.env.FUZZ_OPERATIONS) t.ok(report.cases >= runs, `${report.cases} cases run`)
    t.equal(report.failures.length, 0, 'no operation answered against its contract')
  },
)

/**
 * The answer to `text`, tried again when the connection closed with nothing read: the server closes a
 * refused connection while the request is still arriving, and the reset that follows can overtake its answer.
 */
async function answerOf(port: number, text: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rawRequest(port, text)
    } catch (error) {
      if (attempt === 5) throw error
    }
  }
}

t.test(
  'the HTTP layer refuses over a real socket with problems the document lists, on every operation',
  async (t) => {
    const app = await build(t, { RATE_LIMIT_PER_MINUTE: '0' })
    const document = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as Json
    const faultsOf = makeAnswerChecks(document)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('not listening on a port')
    const head = `Host: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer ${token()}\r\n`
    let requests = 0
    for (const operation of operationsOf(document)) {
      const path = operation.path.replace(/\{[^}]+\}/g, 'fuzz')
      const request = (line: string, headers: string, body = '') =>
        `${operation.method} ${line} HTTP/1.1\r\n${head}${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      const cases: [string, string, number | null][] = [
        ['headers over 16 KiB', request(path, `X-Pad: ${'h'.repeat(17_000)}\r\n`), 431],
        ['a URL over 8192 characters', request(`${path}?pad=${'u'.repeat(9000)}`, ''), 414],
        ['a malformed percent-encoding', request(`${path}?q=%E0%A4%A`, ''), null],
      ]
      if (operation.method !== 'GET') {
        cases.push(
          ['malformed JSON', request(path, 'Content-Type: application/json\r\n', '{"title":'), null],
          ['a body of another type', request(path, 'Content-Type: text/plain\r\n', 'hello'), null],
        )
      }
      for (const [name, text, status] of cases) {
        requests++
        const answer = await answerOf(address.port, text).catch((error: Error) => {
          throw new Error(`${operation.operationId}, ${name}: ${error.message}`)
        })
        const faults = faultsOf(operation, answer)
        if (status !== null && answer.statusCode !== status)
          faults.push(`${answer.statusCode}, not ${status}`)
        if (name !== 'a malformed percent-encoding' && answer.statusCode < 400) {
          // (a malformed query may be ignored by an operation that reads no query)
          faults.push(`accepted (${answer.statusCode})`)
        }
        if (faults.length > 0) t.fail(`${operation.operationId}, ${name}: ${faults.join('; ')}`)
      }
    }
    t.comment(`HTTP layer: ${requests} raw requests over a socket`)
    t.pass('every refusal is a documented problem')
  },
)
