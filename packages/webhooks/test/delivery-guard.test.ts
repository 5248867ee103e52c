/**
 * The SSRF matrix at delivery time (issue 14), loopback allowance off: every URL refused at registration is
 * refused again by `deliverWebhook` (permanently, without a connection), and a public-looking name that a
 * DNS server — a stub of this test's own on 127.0.0.1 — resolves to a forbidden address is refused by the
 * real connect-time check, before any connection is made.
 */
import { once } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type Socket } from 'node:net'
import { dnsStub } from '@scheduler/test-helpers/dns-stub'
import { refused } from '@scheduler/test-helpers/ssrf-cases'
import t, { type Test } from 'tap'
import { deliverWebhook } from '../src/index.js'

const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_1' }
const body = '{"type":"event.failed"}'

/** A TCP listener on 127.0.0.1 that counts the connections it gets (and answers nothing). */
async function listener(t: Test) {
  let connections = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  return { port: (server.address() as { port: number }).port, connections: () => connections }
}

t.test('every URL refused at registration is refused at delivery, permanently', async (t) => {
  for (const [url] of refused) {
    const result = await deliverWebhook({ url, headers, body, timeoutMs: 15_000, allowLoopback: false })
    t.match(
      result,
      { ok: false, status: null, permanent: true, reason: /^(ADDRESS|URL)_REFUSED$/ },
      `${JSON.stringify(url)}: ${result.error}`,
    )
  }
})

/** name → [records, a fragment of the recorded reason] */
const RESOLVES_TO_FORBIDDEN: Array<[string, { A?: string[]; AAAA?: string[] }, string]> = [
  ['loopback.hooks.example.com', { A: ['127.0.0.1'] }, 'loopback'],
  ['loopback-other.hooks.example.com', { A: ['127.8.9.10'] }, 'loopback'],
  ['v6-loopback.hooks.example.com', { AAAA: ['::1'] }, 'loopback'],
  ['private10.hooks.example.com', { A: ['10.0.0.1'] }, 'private'],
  ['private172.hooks.example.com', { A: ['172.16.0.1'] }, 'private'],
  ['private192.hooks.example.com', { A: ['192.168.1.1'] }, 'private'],
  ['cgnat.hooks.example.com', { A: ['100.64.0.1'] }, 'CGNAT'],
  ['metadata.hooks.example.com', { A: ['169.254.169.254'] }, 'link-local'],
  ['alibaba-metadata.hooks.example.com', { A: ['100.100.100.200'] }, 'CGNAT'],
  ['zero.hooks.example.com', { A: ['0.0.0.0'] }, 'unspecified'],
  ['broadcast.hooks.example.com', { A: ['255.255.255.255'] }, 'broadcast'],
  ['multicast.hooks.example.com', { A: ['224.0.0.251'] }, 'multicast'],
  ['reserved.hooks.example.com', { A: ['240.0.0.1'] }, 'reserved'],
  ['unspecified6.hooks.example.com', { AAAA: ['::'] }, 'unspecified'],
  ['mapped.hooks.example.com', { AAAA: ['::ffff:127.0.0.1'] }, 'IPv4-mapped'],
  ['mapped-metadata.hooks.example.com', { AAAA: ['::ffff:169.254.169.254'] }, 'IPv4-mapped'],
  ['compatible.hooks.example.com', { AAAA: ['::a00:1'] }, 'IPv4-compatible'],
  ['nat64.hooks.example.com', { AAAA: ['64:ff9b::a9fe:a9fe'] }, 'NAT64'],
  ['6to4.hooks.example.com', { AAAA: ['2002:7f00:1::'] }, '6to4'],
  ['ula.hooks.example.com', { AAAA: ['fd00:ec2::254'] }, 'unique-local'],
  ['linklocal6.hooks.example.com', { AAAA: ['fe80::1'] }, 'link-local'],
  // One forbidden address among public ones is enough: the socket might pick any of them.
  ['mixed.hooks.example.com', { A: ['93.184.216.34', '10.0.0.1'] }, 'private'],
  ['mixed46.hooks.example.com', { A: ['93.184.216.34'], AAAA: ['::1'] }, 'loopback'],
]

t.test('a name resolving to a forbidden address is refused at connect time', async (t) => {
  const target = await listener(t)
  const stub = await dnsStub(
    t,
    Object.fromEntries(RESOLVES_TO_FORBIDDEN.map(([name, records]) => [name, records])),
  )
  for (const [name, , fragment] of RESOLVES_TO_FORBIDDEN) {
    t.test(name, async (t) => {
      const url = `https://${name}:${target.port}/hook`
      const result = await deliverWebhook({
        url,
        headers,
        body,
        timeoutMs: 15_000,
        allowLoopback: false,
        resolve: stub.resolve,
      })
      t.match(result, { ok: false, status: null, reason: 'ADDRESS_REFUSED', permanent: true })
      t.match(result.error, /^ADDRESS_REFUSED: the host resolves to /)
      t.match(result.error, fragment)
      t.ok(stub.queries.includes(name), 'the name was resolved by the stub')
    })
  }
  t.test('nothing connected to the listener', async (t) => {
    t.equal(target.connections(), 0)
  })
})

t.test('the stub path really connects when the address is allowed (loopback allowance on)', async (t) => {
  // A plain HTTP server behind an https URL: the attempt reaches it, and fails in the TLS handshake.
  let connections = 0
  const server = createHttpServer((_req, res) => res.writeHead(204).end())
  server.on('connection', () => connections++)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as { port: number }
  const stub = await dnsStub(t, { 'receiver.hooks.example.com': { A: ['127.0.0.1'] } })
  const url = `https://receiver.hooks.example.com:${port}/hook`
  const attempt = (allowLoopback: boolean) =>
    deliverWebhook({ url, headers, body, timeoutMs: 15_000, allowLoopback, resolve: stub.resolve })
  const allowed = await attempt(true)
  t.match(allowed, { ok: false, status: null, reason: 'TLS_ERROR', permanent: false })
  t.equal(connections, 1, 'the stub answered and the socket connected to its address')
  // The same name and receiver with the allowance off: refused by the connect-time check.
  t.match(await attempt(false), { reason: 'ADDRESS_REFUSED', permanent: true })
  t.equal(connections, 1, 'no second connection')
})

t.test('a name the DNS does not know is a DNS failure, retried (not permanent)', async (t) => {
  const stub = await dnsStub(t, { 'empty.hooks.example.com': {} })
  const unknown = await deliverWebhook({
    url: 'https://nowhere.hooks.example.com/hook',
    headers,
    body,
    timeoutMs: 15_000,
    allowLoopback: false,
    resolve: stub.resolve,
  })
  t.same(unknown, {
    ok: false,
    status: null,
    error: 'DNS_FAILURE: name not found',
    reason: 'DNS_FAILURE',
    permanent: false,
  })
  const empty = await deliverWebhook({
    url: 'https://empty.hooks.example.com/hook',
    headers,
    body,
    timeoutMs: 15_000,
    allowLoopback: false,
    resolve: stub.resolve,
  })
  t.match(empty, { ok: false, reason: 'DNS_FAILURE', permanent: false, error: /^DNS_FAILURE: / })
})
