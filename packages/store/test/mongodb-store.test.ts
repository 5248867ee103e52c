import { randomBytes } from 'node:crypto'
import t from 'tap'
import { tcpProxy } from '../../../test/helpers/tcp-proxy.js'
import { openStore } from '../src/open-store.js'
import { conformanceSuite } from './conformance.js'
import { dropMongoDatabase } from './helpers/fresh-database.js'

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
