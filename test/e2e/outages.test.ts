import { startService, waitUntil } from '@scheduler/test-helpers/service'
import { tcpProxy } from '@scheduler/test-helpers/tcp-proxy'
import t from 'tap'

const FAST_MS = 5_000

t.test('with Redis or the store away the API answers 503 fast, writes nothing, and recovers', async (t) => {
  const service = await startService(t)
  const postgres = await tcpProxy(t, {
    host: '127.0.0.1',
    port: Number(new URL(service.env.STORE_URL ?? '').port || 5432),
  })
  const redis = await tcpProxy(t, {
    host: '127.0.0.1',
    port: Number(new URL(service.env.REDIS_URL ?? '').port || 6379),
  })
  await service.startApi({
    STORE_URL: postgres.via(service.env.STORE_URL ?? ''),
    REDIS_URL: redis.via(service.env.REDIS_URL ?? ''),
  })
  const create = { body: { title: 'During an outage', durationMinutes: 30 } }

  t.test('Redis away: changes are refused before anything is written', async (t) => {
    await redis.cut()
    const started = Date.now()
    const answer = await service.call('POST', '/v1/events', create)
    t.equal(answer.status, 503)
    t.match(answer.headers.get('content-type'), /application\/problem\+json/)
    t.ok(answer.headers.get('retry-after'), 'Retry-After')
    t.ok(Date.now() - started < FAST_MS, `answered in ${Date.now() - started} ms`)
    t.equal((await service.call('GET', '/readyz', { token: null })).status, 503)
    const list = await service.call('GET', '/v1/events')
    t.equal(list.status, 200, 'reads go straight to the store')
    t.same(list.body.items, [], 'nothing was written')

    await redis.restore()
    await waitUntil(
      async () => (await service.call('GET', '/readyz', { token: null })).status === 200,
      20_000,
    )
    t.equal((await service.call('POST', '/v1/events', create)).status, 202, 'accepted again')
  })

  t.test('the store away: reads and writes answer 503 fast', async (t) => {
    await postgres.cut()
    for (const [method, path, options] of [
      ['GET', '/v1/events', {}],
      ['POST', '/v1/events', create],
    ] as const) {
      const started = Date.now()
      const answer = await service.call(method, path, options)
      t.equal(answer.status, 503, `${method} ${path}`)
      t.ok(answer.headers.get('retry-after'), 'Retry-After')
      t.notMatch(JSON.stringify(answer.body), /ECONNREFUSED|stack|at /, 'no internal details')
      t.ok(Date.now() - started < FAST_MS, `answered in ${Date.now() - started} ms`)
    }
    t.equal((await service.call('GET', '/readyz', { token: null })).status, 503)

    await postgres.restore()
    await waitUntil(
      async () => (await service.call('GET', '/readyz', { token: null })).status === 200,
      20_000,
    )
    const list = await service.call('GET', '/v1/events')
    t.equal(list.status, 200)
    t.equal(list.body.items.length, 1, 'only the event accepted while everything was up')
  })
})
