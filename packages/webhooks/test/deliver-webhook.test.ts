import { once } from 'node:events'
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { deliverWebhook, ForbiddenAddressError, guardedLookup } from '../src/index.js'

interface Received {
  method: string | undefined
  headers: IncomingMessage['headers']
  body: string
}

/** A real loopback receiver whose answer the test chooses; it records every request it gets. */
async function receiver(
  t: Test,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; port: number; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({
        method: req.method,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      answer(req, res)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, port, received }
}

const headers = {
  'webhook-id': 'msg_1',
  'webhook-timestamp': '1',
  'webhook-signature': 'v1,x',
  'content-type': 'application/json',
}
const body = '{"type":"event.failed"}'

t.test('a 2xx answer is a success, and the request carries the body and headers', async (t) => {
  const server = await receiver(t, (_req, res) => res.writeHead(204).end())
  const result = await deliverWebhook({
    url: server.url,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.same(result, { ok: true, status: 204, error: null })
  t.equal(server.received.length, 1)
  const [request] = server.received
  t.equal(request?.method, 'POST')
  t.equal(request?.body, body)
  t.equal(request?.headers['webhook-id'], 'msg_1')
  t.equal(request?.headers['content-type'], 'application/json')
  t.equal(request?.headers['content-length'], String(body.length))
})

t.test('a 500 is a failure with its status', async (t) => {
  const server = await receiver(t, (_req, res) => res.writeHead(500).end('boom'))
  const result = await deliverWebhook({
    url: server.url,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.same(result, { ok: false, status: 500, error: 'HTTP 500' })
})

t.test('a redirect is not followed and is a failure', async (t) => {
  const target = await receiver(t, (_req, res) => res.writeHead(200).end())
  const server = await receiver(t, (_req, res) => res.writeHead(302, { location: target.url }).end())
  const result = await deliverWebhook({
    url: server.url,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.equal(result.ok, false)
  t.equal(result.status, 302)
  t.match(result.error, 'redirect')
  t.equal(target.received.length, 0, 'the redirect target got nothing')
})

t.test('a receiver that does not answer in time is a timeout', async (t) => {
  const server = await receiver(t, () => {})
  const started = Date.now()
  const result = await deliverWebhook({ url: server.url, headers, body, timeoutMs: 300, allowLoopback: true })
  const elapsed = Date.now() - started
  t.same(result, { ok: false, status: null, error: 'no answer within 300 ms' })
  t.ok(elapsed >= 290 && elapsed < 2_000, `gave up after ${elapsed} ms`)
})

t.test('a receiver that answers headers and then stalls its body still counts by its status', async (t) => {
  const server = await receiver(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('partial')
  })
  const result = await deliverWebhook({ url: server.url, headers, body, timeoutMs: 300, allowLoopback: true })
  t.same(result, { ok: true, status: 200, error: null })
})

t.test('a huge answer is read only up to the cap', async (t) => {
  let sent = 0
  const server = await receiver(t, (_req, res) => {
    res.writeHead(200)
    const chunk = Buffer.alloc(64 * 1024, 97)
    // Up to 64 MiB unless the client hangs up first.
    const pump = (): void => {
      while (sent < 1024) {
        sent++
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    res.on('error', () => {})
    pump()
  })
  const started = Date.now()
  const result = await deliverWebhook({
    url: server.url,
    headers,
    body,
    timeoutMs: 5_000,
    allowLoopback: true,
  })
  t.same(result, { ok: true, status: 200, error: null })
  t.ok(Date.now() - started < 2_000, 'did not wait for the whole answer')
  t.ok(sent < 1024, `the receiver could not send all 64 MiB (${sent} chunks of 64 KiB)`)
})

t.test('a closed port is a connection failure', async (t) => {
  const closed = createServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const { port } = closed.address() as AddressInfo
  closed.close()
  await once(closed, 'close')
  const url = `http://127.0.0.1:${port}/`
  const result = await deliverWebhook({ url, headers, body, timeoutMs: 2_000, allowLoopback: true })
  t.equal(result.ok, false)
  t.equal(result.status, null)
  t.match(result.error, 'ECONNREFUSED')
})

t.test('without allowLoopback a loopback receiver is never contacted', async (t) => {
  const server = await receiver(t, (_req, res) => res.writeHead(200).end())
  for (const url of [
    server.url,
    `http://localhost:${server.port}/hook`,
    `https://localhost:${server.port}/hook`,
  ]) {
    const result = await deliverWebhook({ url, headers, body, timeoutMs: 2_000, allowLoopback: false })
    t.equal(result.ok, false, `${url} refused`)
    t.equal(result.status, null)
    t.match(result.error, /^refused: /)
  }
  t.equal(server.received.length, 0)
})

t.test('`localhost` resolves to a loopback address and is refused at connect time', async (t) => {
  const lookup = guardedLookup({ allowLoopback: false })
  for (const all of [true, false]) {
    const error = await new Promise<Error | null>((resolve) => {
      lookup('localhost', { all }, (err) => resolve(err))
    })
    t.type(error, ForbiddenAddressError, `all: ${all}`)
    t.match(error?.message, /localhost resolves to a loopback address \((127\.0\.0\.1|::1)\)/)
  }
})

t.test('a socket using the guarded lookup never connects to a name that resolves to loopback', async (t) => {
  const server = await receiver(t, (_req, res) => res.writeHead(200).end())
  const error = await new Promise<Error>((resolve) => {
    const req = request(`http://localhost:${server.port}/hook`, {
      method: 'POST',
      lookup: guardedLookup({ allowLoopback: false }),
      agent: false,
    })
    req.on('error', resolve)
    req.end('{}')
  })
  t.type(error, ForbiddenAddressError)
  t.equal(server.received.length, 0)
})

t.test('with allowLoopback the guarded lookup answers in both callback shapes', async (t) => {
  const lookup = guardedLookup({ allowLoopback: true })
  const many = await new Promise<unknown>((resolve, reject) => {
    lookup('localhost', { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)))
  })
  t.ok(Array.isArray(many) && many.length > 0)
  const one = await new Promise<[unknown, unknown]>((resolve, reject) => {
    lookup('localhost', { family: 4 }, (err, address, family) =>
      err ? reject(err) : resolve([address, family]),
    )
  })
  t.same(one, ['127.0.0.1', 4])
})

t.test('a name that does not resolve is a failed attempt, not a crash', async (t) => {
  const result = await deliverWebhook({
    url: 'https://does-not-exist.invalid/hook',
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: false,
  })
  t.equal(result.ok, false)
  t.equal(result.status, null)
  t.ok(result.error)
})

t.test('delivery through localhost works when loopback is allowed (the lookup path)', async (t) => {
  const server = await receiver(t, (_req, res) => res.writeHead(200).end('ok'))
  const result = await deliverWebhook({
    url: `http://localhost:${server.port}/hook`,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.same(result, { ok: true, status: 200, error: null })
})
