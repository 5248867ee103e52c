import { createServer } from 'node:net'
import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import t from 'tap'
import { bearer, build, createBody } from '../helper.js'

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

t.test('with Redis and the store up', async (t) => {
  const app = await build(t)
  const health = await app.inject({ method: 'GET', url: '/healthz' })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  const ready = await app.inject({ method: 'GET', url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok', checks: { redis: 'ok', store: 'ok' } })
})

t.test('with Redis down', async (t) => {
  const port = await closedPort()
  const app = await build(t, { REDIS_URL: `redis://127.0.0.1:${port}` })

  t.test('/healthz still answers, /readyz is a 503 problem', async (t) => {
    t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
    const started = Date.now()
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    t.ok(Date.now() - started < 2_000, 'fast')
    t.equal(ready.statusCode, 503)
    t.ok(Number(ready.headers['retry-after']) > 0, 'Retry-After')
    t.match(String(ready.headers['content-type']), /^application\/problem\+json/)
    t.match(ready.json(), { status: 503, detail: /Redis/ })
    t.notMatch(ready.json().detail, /ECONNREFUSED/, 'no internal detail')
  })

  t.test('changes are a fast 503 and nothing is written', async (t) => {
    const started = Date.now()
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: bearer(),
      payload: createBody(),
    })
    t.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms`)
    t.equal(response.statusCode, 503)
    t.ok(Number(response.headers['retry-after']) > 0)
    t.match(response.json(), { status: 503, title: String })
    const page = await app.store.listEvents(CALENDAR_ID_DEFAULT, {
      limit: 10,
      order: 'start',
      now: Date.now(),
    })
    t.equal(page.items.length, 0)
  })

  t.test('reads still work (the rate limit is skipped without Redis)', async (t) => {
    t.equal((await app.inject({ method: 'GET', url: '/v1/events', headers: bearer() })).statusCode, 200)
  })

  t.test('metrics still answer', async (t) => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(metrics.statusCode, 200)
  })
})
