import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { dropMongoDatabase } from '@scheduler/test-helpers/fresh-database'
import { tcpProxy } from '@scheduler/test-helpers/tcp-proxy'
import t from 'tap'
import { openStore } from '../src/open-store.js'
import { StoreUnavailableError } from '../src/port.js'
import { conformanceSuite } from './conformance.js'

// A MongoDB replica set (a single-node one will do): `pnpm test:mongo` starts one with Docker, or uses
// MONGO_URL, e.g. mongodb://127.0.0.1:27017/?directConnection=true
const MONGO_URL = process.env.MONGO_URL

if (MONGO_URL === undefined || MONGO_URL === '') {
  t.skip('MongoDB store conformance', { skip: 'MONGO_URL not set' }, () => {})
} else {
  const baseUrl = MONGO_URL
  conformanceSuite(t, 'mongodb', async (options = {}) => {
    // A fresh database per scenario: the adapter drops nothing itself, so cleanup does.
    const name = `sched_test_${process.pid}_${randomBytes(5).toString('hex')}`
    const url = new URL(baseUrl)
    url.pathname = `/${name}`
    // One host only can be proxied; the driver must then talk to it alone (not to the members the
    // replica set names, which would bypass the proxy).
    const proxiable = url.protocol === 'mongodb:' && !url.host.includes(',')
    const proxy =
      options.proxy === undefined || !proxiable
        ? undefined
        : await tcpProxy(options.proxy, { host: url.hostname, port: Number(url.port || 27017) })
    let storeUrl = url.toString()
    if (proxy !== undefined) {
      const direct = new URL(proxy.via(storeUrl))
      direct.searchParams.delete('replicaSet')
      direct.searchParams.set('directConnection', 'true')
      storeUrl = direct.toString()
    }
    const store = await openStore(
      storeUrl,
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    )
    return {
      store,
      ...(proxy === undefined ? {} : { proxy }),
      cleanup: async () => {
        // The proxy first: a store cannot close connections that a stalled proxy holds.
        await proxy?.cut()
        await store.close()
        await dropMongoDatabase(baseUrl, name)
      },
    }
  })
}

// These two need no MongoDB: the driver meets a port where nothing listens, and a host that accepts the
// connection and never answers (a real TCP server that stays silent).
t.test('a MongoDB that cannot be reached fails fast with StoreUnavailableError', async (t) => {
  const started = Date.now()
  await t.rejects(openStore('mongodb://127.0.0.1:1/nothing', { timeoutMs: 1000 }), StoreUnavailableError)
  t.ok(Date.now() - started < 5000, `within seconds (${Date.now() - started} ms)`)
})

t.test('a MongoDB host that never answers fails with StoreUnavailableError within the timeout', async (t) => {
  const held = new Set<net.Socket>()
  const silent = net.createServer((socket) => {
    held.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of held) socket.destroy()
        silent.close(() => resolve())
      }),
  )
  const { port } = silent.address() as net.AddressInfo
  const started = Date.now()
  await t.rejects(
    openStore(`mongodb://127.0.0.1:${port}/nothing?directConnection=true`, { timeoutMs: 1000 }),
    StoreUnavailableError,
  )
  t.ok(Date.now() - started < 1000 + 1500, `answered in ${Date.now() - started} ms (timeout 1000 ms)`)
  t.ok(held.size > 0, 'the driver did connect, and waited for an answer that never came')
})
