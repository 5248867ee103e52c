import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadConfig } from '@scheduler/config'
import { createFreshDatabase } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys } from '@scheduler/test-helpers/redis-keys'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import schedulerApi from '../src/app.js'
import { appOptions } from '../src/app-options.js'
import { MAX_URL_LENGTH } from '../src/framework-errors.js'
import { type App, anEvent, bearer, build, seedEvent, TEST_REDIS_URL, TEST_SECRET } from './helper.js'

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'

interface RawAnswer {
  status: number
  headers: Record<string, string>
  body: string
  /** Milliseconds from the first byte written until the server closed the connection. */
  closedAfterMs: number
}

/** Reads what the server writes until it closes the connection, and parses it as one HTTP/1.1 answer. */
function readAnswer(socket: Socket, started: number): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      text += chunk
    })
    socket.on('error', () => {
      // A reset after the answer: what was read is what counts
    })
    socket.on('close', () => {
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const status = Number(statusLine.split(' ')[1])
      if (!Number.isFinite(status)) {
        reject(new Error(`no HTTP answer before the connection closed: ${JSON.stringify(text)}`))
        return
      }
      const headers = Object.fromEntries(
        lines.map((line) => {
          const colon = line.indexOf(':')
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
        }),
      )
      resolve({ status, headers, body: rest.join('\r\n\r\n'), closedAfterMs: Date.now() - started })
    })
  })
}

/** Sends `text` as is on a new connection to the listening app and reads the answer. */
async function raw(port: number, text: string): Promise<RawAnswer> {
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const answer = readAnswer(socket, Date.now())
  socket.write(text)
  return answer
}

async function listening(app: App): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return address.port
}

function assertStandardProblem(
  t: Test,
  answer: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
) {
  t.equal(answer.statusCode, status, `status ${status}`)
  t.equal(answer.headers['content-type'], PROBLEM_TYPE, 'problem+json')
  t.equal(answer.headers['cache-control'], 'no-store')
  t.equal(answer.headers['x-content-type-options'], 'nosniff')
  const requestId = answer.headers['x-request-id']
  t.type(requestId, 'string', 'a request id')
  const problem = JSON.parse(answer.body)
  t.match(problem, { type: String, title: String, status, detail: String, requestId })
}

// One app for the checks that need no particular configuration (building one is the slow part)
const app = await build(t)
const auth = bearer()

t.test('refusals made before a route runs are problem+json with the standard headers', async (t) => {
  t.test('a malformed percent-encoding is a 400', async (t) => {
    for (const url of ['/v1/events/%FF', '/v1/events/%E0%A4%A/status', '/healthz/%C0']) {
      const response = await app.inject({ method: 'GET', url, headers: auth })
      assertStandardProblem(t, { ...response, headers: response.headers }, 400)
      t.match(response.json(), { detail: /percent-encoded/ }, url)
    }
  })

  t.test('a URL over the limit is a 414, a path parameter over it too', async (t) => {
    const longQuery = await app.inject({
      method: 'GET',
      url: `/v1/events?cursor=${'c'.repeat(MAX_URL_LENGTH)}`,
      headers: auth,
    })
    assertStandardProblem(t, longQuery, 414)
    const longParam = await app.inject({
      method: 'GET',
      url: `/v1/events/${'e'.repeat(MAX_URL_LENGTH + 1)}`,
      headers: auth,
    })
    assertStandardProblem(t, longParam, 414)
    const unauthenticated = await app.inject({ method: 'GET', url: `/v1/jobs/${'j'.repeat(MAX_URL_LENGTH)}` })
    t.equal(unauthenticated.statusCode, 414, 'refused before authentication')
  })

  t.test('bad JSON, a wrong content type, a body too large', async (t) => {
    const badJson = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"title":',
    })
    assertStandardProblem(t, badJson, 400)
    const text = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'title',
    })
    assertStandardProblem(t, text, 415)
    const large = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }),
    })
    assertStandardProblem(t, large, 413)
    const unknown = await app.inject({ method: 'GET', url: '/nowhere' })
    assertStandardProblem(t, unknown, 404)
  })
})

t.test('path parameters: the documented maxLength is the limit (400), not the router', async (t) => {
  const id = (length: number) => `evt_${'a'.repeat(length - 4)}`

  for (const [url, status] of [
    [`/v1/events/${id(255)}`, 404],
    [`/v1/events/${id(256)}`, 400],
    [`/v1/events/${id(101)}/status`, 404],
    [`/v1/events/${id(2000)}/status`, 400],
    [`/v1/jobs/${id(255)}`, 404],
    [`/v1/jobs/${id(256)}`, 400],
    [`/v1/webhooks/${id(256)}/deliveries`, 400],
    [`/v1/events/${id(255)}/attachments/${id(256)}`, 400],
  ] as const) {
    const response = await app.inject({ method: 'GET', url, headers: auth })
    t.equal(response.statusCode, status, `${url.length} characters: ${status}`)
    if (status === 400) t.match(response.json(), { errors: [{ path: /^\/params\//, message: /255/ }] })
  }

  // An email of exactly 320 characters (the documented maximum), then one more
  const email = (length: number) => `${'a'.repeat(length - '@example.com'.length)}@example.com`
  const atLimit = await app.inject({
    method: 'GET',
    url: `/v1/attendees/${email(320)}/busy`,
    headers: auth,
  })
  t.equal(atLimit.statusCode, 200, '320 characters')
  const over = await app.inject({ method: 'GET', url: `/v1/attendees/${email(321)}/busy`, headers: auth })
  t.equal(over.statusCode, 400, '321 characters')
  t.match(over.json(), { errors: [{ path: '/params/email', message: /320/ }] })
})

t.test('cancel and DELETE take no body: any content type, or none, with an empty body', async (t) => {
  for (const [method, suffix] of [
    ['POST', '/cancel'],
    ['DELETE', ''],
  ] as const) {
    for (const contentType of ['text/plain', '', 'application/octet-stream', undefined]) {
      const event = await seedEvent(app, anEvent())
      const response = await app.inject({
        method,
        url: `/v1/events/${event.id}${suffix}`,
        headers: { ...auth, ...(contentType === undefined ? {} : { 'content-type': contentType }) },
        payload: '',
      })
      t.equal(response.statusCode, 202, `${method} with Content-Type ${JSON.stringify(contentType)}`)
    }
    const event = await seedEvent(app, anEvent())
    const withText = await app.inject({
      method,
      url: `/v1/events/${event.id}${suffix}`,
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'please',
    })
    t.equal(withText.statusCode, 415, `${method} with a text body`)
  }
})

t.test('what Node refuses is written as a raw problem+json answer', async (t) => {
  const port = await listening(app)

  const headers = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`)
  t.equal(headers.status, 431, 'headers over the limit')
  const longUrl = await raw(port, `GET /healthz?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.ok([414, 431].includes(longUrl.status), `a URL over the header limit: ${longUrl.status}`)
  const garbage = await raw(port, 'HELLO\r\n\r\n')
  t.equal(garbage.status, 400, 'not HTTP')
  const noHost = await raw(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n')
  t.equal(noHost.status, 400, 'HTTP/1.1 without Host')
  const expectation = await raw(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n')
  t.equal(expectation.status, 417, 'an Expect other than 100-continue')

  for (const answer of [headers, longUrl, garbage, noHost, expectation]) {
    t.equal(answer.headers['content-type'], PROBLEM_TYPE)
    t.equal(answer.headers['cache-control'], 'no-store')
    t.equal(answer.headers['x-content-type-options'], 'nosniff')
    t.match(answer.headers['x-request-id'], /^[0-9a-f-]{36}$/)
    t.match(JSON.parse(answer.body), {
      type: /^urn:scheduler-api:problem:/,
      status: answer.status,
      requestId: answer.headers['x-request-id'],
    })
  }
})

t.test('a client that trickles a declared body is cut off within REQUEST_TIMEOUT_MS', async (t) => {
  const slowApp = await build(t, { REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '500' })
  const port = await listening(slowApp)
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const started = Date.now()
  const answer = readAnswer(socket, started)
  socket.write(
    'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n' +
      `Authorization: ${bearer().authorization}\r\n\r\n{`,
  )
  // One byte every 100 ms: never idle long, never done
  const trickle = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write(' ')
  }, 100)
  t.teardown(() => clearInterval(trickle))
  const result = await answer
  clearInterval(trickle)
  t.equal(result.status, 408)
  t.equal(result.headers['content-type'], PROBLEM_TYPE)
  t.equal(result.headers['cache-control'], 'no-store')
  // The timeout (1 s) plus Node's check interval (here 500 ms), with room for a busy machine
  t.ok(result.closedAfterMs < 5_000, `closed after ${result.closedAfterMs} ms`)
  t.ok(result.closedAfterMs >= 900, 'not before the timeout')

  const slowHeaders = connect(port, '127.0.0.1')
  await new Promise((resolve) => slowHeaders.once('connect', resolve))
  const headersAnswer = readAnswer(slowHeaders, Date.now())
  slowHeaders.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
  const headersResult = await headersAnswer
  t.equal(headersResult.status, 408, 'headers never finished')
})

t.test('an aborted upload is not taken for a Redis outage', async (t) => {
  const database = await createFreshDatabase()
  const prefix = `test-api-abort-${process.pid}-${Date.now()}`
  const env = {
    STORE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'info',
  }
  const lines: Record<string, unknown>[] = []
  const stream = { write: (line: string) => lines.push(JSON.parse(line)) }
  const loggedApp = Fastify({ ...appOptions(loadConfig(env)), logger: { level: 'info', stream } })
  const statuses: number[] = []
  loggedApp.addHook('onResponse', async (_request, reply) => {
    statuses.push(reply.statusCode)
  })
  await loggedApp.register(schedulerApi, { env })
  t.teardown(async () => {
    await loggedApp.close()
    await database.drop()
    await deleteKeys(prefix)
  })
  await loggedApp.listen({ host: '127.0.0.1', port: 0 })
  const address = loggedApp.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')

  const socket = connect(address.port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(
    'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n' +
      `Authorization: ${bearer().authorization}\r\n\r\n{"title":"`,
  )
  await sleep(200)
  socket.resetAndDestroy()
  // The server notices the reset and finishes the request
  for (let i = 0; i < 50 && statuses.length === 0; i++) await sleep(50)

  const messages = lines.map((line) => String(line.msg))
  t.notOk(
    messages.some((message) => /Redis/i.test(message)),
    'nothing about Redis is logged',
  )
  t.notOk(statuses.includes(503), 'not answered 503')
  t.notOk(
    lines.some((line) => Number(line.level) >= 50),
    'not logged as an error',
  )
  t.ok(
    messages.some((message) =>
      message.includes('the connection closed before the whole request was received'),
    ),
    'logged as the client’s doing',
  )
})
