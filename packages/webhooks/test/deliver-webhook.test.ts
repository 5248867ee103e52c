import { once } from 'node:events'
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { dnsStub } from '@scheduler/test-helpers/dns-stub'
import t, { type Test } from 'tap'
import {
  classifyDeliveryError,
  DELIVERY_REASONS,
  deliverWebhook,
  ForbiddenAddressError,
  guardedLookup,
} from '../src/index.js'

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
  t.same(result, { ok: true, status: 204, error: null, reason: null, permanent: false })
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
  t.same(result, {
    ok: false,
    status: 500,
    error: 'HTTP_STATUS: 500',
    reason: 'HTTP_STATUS',
    permanent: false,
  })
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
  t.equal(result.error, 'REDIRECT: 302 not followed')
  t.equal(target.received.length, 0, 'the redirect target got nothing')
})

t.test('a receiver that does not answer in time is a timeout', async (t) => {
  const server = await receiver(t, () => {})
  const started = Date.now()
  const result = await deliverWebhook({ url: server.url, headers, body, timeoutMs: 300, allowLoopback: true })
  const elapsed = Date.now() - started
  t.same(result, {
    ok: false,
    status: null,
    error: 'TIMEOUT: no answer within 300 ms',
    reason: 'TIMEOUT',
    permanent: false,
  })
  t.ok(elapsed >= 290 && elapsed < 2_000, `gave up after ${elapsed} ms`)
})

t.test('a receiver that answers headers and then stalls its body still counts by its status', async (t) => {
  const server = await receiver(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('partial')
  })
  const result = await deliverWebhook({ url: server.url, headers, body, timeoutMs: 300, allowLoopback: true })
  t.same(result, { ok: true, status: 200, error: null, reason: null, permanent: false })
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
  t.same(result, { ok: true, status: 200, error: null, reason: null, permanent: false })
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
  t.equal(result.error, 'CONNECTION_REFUSED')
  t.equal(result.permanent, false, 'retried')
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
    t.match(result.error, /^ADDRESS_REFUSED: the host is a loopback/)
    t.equal(result.permanent, true)
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
  const stub = await dnsStub(t, {})
  const result = await deliverWebhook({
    url: 'https://does-not-exist.example.com/hook',
    headers,
    body,
    timeoutMs: 15_000,
    allowLoopback: false,
    resolve: stub.resolve,
  })
  t.same(result, {
    ok: false,
    status: null,
    error: 'DNS_FAILURE: name not found',
    reason: 'DNS_FAILURE',
    permanent: false,
  })
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
  t.same(result, { ok: true, status: 200, error: null, reason: null, permanent: false })
})

/** A self-signed certificate for localhost and 127.0.0.1 (test-only key; valid until 2126). */
const SELF_SIGNED = {
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg3o0Uk3xckRkY8zBi
gpSHGzP00qFWpAVkmFPgQqybupKhRANCAASaE0Yc5gStQZ1tXor5Ggjp3MuE8Y3H
WEoTh1vnBPZt0R/TCQNGQAhgfIgo9AoZ8B/2xVUdGqezo/DQtvcwNg6T
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBmjCCAUGgAwIBAgIUWkAwwWVeSz5sKbbkZNk8mwibKYQwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyOTE5MTA1N1oYDzIxMjYxMTA1
MTkxMDU3WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASaE0Yc5gStQZ1tXor5Ggjp3MuE8Y3HWEoTh1vnBPZt0R/TCQNGQAhg
fIgo9AoZ8B/2xVUdGqezo/DQtvcwNg6To28wbTAdBgNVHQ4EFgQU/lKP2qWS33Hb
RDpdkEXKbLjdCUswHwYDVR0jBBgwFoAU/lKP2qWS33HbRDpdkEXKbLjdCUswDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgHLdZAmx60nKfXVq5RB3J3GZfP2U8gtzoQ7zuGsIYHC8CICWD
S2UOHEoJpcBB8WthlBuDa9AtLyBiDXmCgimQf6L9
-----END CERTIFICATE-----
`,
}

/** A recorded reason: one code of the vocabulary, optionally `: ` and short words — no path, no stack. */
function expectCleanReason(t: Test, error: string | null) {
  t.ok(error, 'a reason is recorded')
  const [code] = String(error).split(':')
  t.ok(code && code in DELIVERY_REASONS, `${code} is in the vocabulary`)
  t.notMatch(String(error), /[/\\]|\.c:|\.js|error:[0-9A-F]{8}|\n|at /, `no path or library text: ${error}`)
  t.ok(String(error).length <= 160, 'short')
}

t.test('a TLS receiver whose certificate is self-signed: TLS_ERROR with short words', async (t) => {
  const server = createHttpsServer(SELF_SIGNED, (_req, res) => res.writeHead(200).end())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  const result = await deliverWebhook({
    url: `https://127.0.0.1:${port}/hook`,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.same(result, {
    ok: false,
    status: null,
    error: 'TLS_ERROR: self-signed certificate',
    reason: 'TLS_ERROR',
    permanent: false,
  })
  expectCleanReason(t, result.error)
})

t.test('an https URL answered by a plain HTTP server: no OpenSSL line, no source path', async (t) => {
  const server = await receiver(t, (_req, res) => res.writeHead(200).end())
  const result = await deliverWebhook({
    url: `https://127.0.0.1:${server.port}/hook`,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.same(result, {
    ok: false,
    status: null,
    error: 'TLS_ERROR: not a TLS server (wrong version number)',
    reason: 'TLS_ERROR',
    permanent: false,
  })
  expectCleanReason(t, result.error)
})

t.test('a receiver that resets the connection: CONNECTION_RESET', async (t) => {
  const server = await receiver(t, (req) => req.socket.destroy())
  const result = await deliverWebhook({
    url: server.url,
    headers,
    body,
    timeoutMs: 2_000,
    allowLoopback: true,
  })
  t.match(result, { ok: false, status: null, error: 'CONNECTION_RESET', permanent: false })
})

/** [the error as Node raises it, the recorded reason] */
const CLASSIFIED: Array<[string, Record<string, unknown>, string]> = [
  [
    'an expired certificate',
    { code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' },
    'TLS_ERROR: certificate has expired',
  ],
  ['a not-yet-valid certificate', { code: 'CERT_NOT_YET_VALID' }, 'TLS_ERROR: certificate is not yet valid'],
  ['an unknown issuer', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'TLS_ERROR: certificate issuer unknown'],
  [
    'a self-signed chain',
    { code: 'SELF_SIGNED_CERT_IN_CHAIN' },
    'TLS_ERROR: self-signed certificate in the chain',
  ],
  [
    'a certificate for another name',
    {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      message:
        "Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's altnames: DNS:b",
    },
    'TLS_ERROR: certificate does not match the host name',
  ],
  [
    'another X509 failure',
    { code: 'PATH_LENGTH_EXCEEDED' },
    'TLS_ERROR: certificate rejected (PATH_LENGTH_EXCEEDED)',
  ],
  [
    'an OpenSSL alert with its source file',
    {
      code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
      reason: 'tlsv1 alert unknown ca',
      message:
        'C0:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 48',
    },
    'TLS_ERROR: tlsv1 alert unknown ca',
  ],
  [
    'EPROTO with an OpenSSL line',
    {
      code: 'EPROTO',
      message:
        'write EPROTO 80:error:0A000102:SSL routines:ssl_choose_client_version:unsupported protocol:../deps/openssl/openssl/ssl/statem/statem_lib.c:1985:',
    },
    'TLS_ERROR: unsupported protocol',
  ],
  [
    'EPROTO without one',
    { code: 'EPROTO', message: 'write EPROTO /some/path.c:12' },
    'TLS_ERROR: handshake failed',
  ],
  [
    'a refused connection',
    { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.7:443' },
    'CONNECTION_REFUSED',
  ],
  ['a reset', { code: 'ECONNRESET', message: 'socket hang up' }, 'CONNECTION_RESET'],
  ['a broken pipe', { code: 'EPIPE' }, 'CONNECTION_RESET'],
  ['no route to the host', { code: 'EHOSTUNREACH' }, 'HOST_UNREACHABLE'],
  ['no route to the network', { code: 'ENETUNREACH' }, 'HOST_UNREACHABLE: network unreachable'],
  ['a connect timeout', { code: 'ETIMEDOUT' }, 'TIMEOUT: connection timed out'],
  [
    'a malformed answer',
    { code: 'HPE_INVALID_CONSTANT', message: 'Parse Error: Expected HTTP/' },
    'PROTOCOL_ERROR',
  ],
  [
    'another system error',
    { code: 'EMFILE', message: 'too many open files /proc/self' },
    'NETWORK_ERROR: EMFILE',
  ],
  ['no code at all', { message: 'something odd at /srv/app/node_modules/x.js:1:2' }, 'NETWORK_ERROR'],
  ['a code that is not a code', { code: 'e/../x' }, 'NETWORK_ERROR'],
]

t.test('errors are classified into the documented vocabulary, never their message', async (t) => {
  for (const [name, fields, expected] of CLASSIFIED) {
    const error = Object.assign(new Error(String(fields.message ?? '')), fields)
    const classified = classifyDeliveryError(error, 'network')
    const recorded = classified.detail ? `${classified.reason}: ${classified.detail}` : classified.reason
    t.equal(recorded, expected, name)
    expectCleanReason(t, recorded)
  }
  t.same(classifyDeliveryError(Object.assign(new Error('x'), { code: 'EAI_AGAIN' }), 'lookup'), {
    reason: 'DNS_FAILURE',
    detail: 'temporary lookup failure',
  })
  t.same(classifyDeliveryError(new Error('x'), 'address', 'the host resolves to a loopback address'), {
    reason: 'ADDRESS_REFUSED',
    detail: 'the host resolves to a loopback address',
  })
})
