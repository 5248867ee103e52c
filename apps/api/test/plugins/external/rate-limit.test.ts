import t from 'tap'
import { bearer, build } from '../../helper.js'

t.test('RATE_LIMIT_PER_MINUTE per token subject', async (t) => {
  const app = await build(t, { RATE_LIMIT_PER_MINUTE: '3' })
  const get = (sub: string) => app.inject({ method: 'GET', url: '/v1/events', headers: bearer({ sub }) })
  for (let i = 0; i < 3; i++) t.equal((await get('client-a')).statusCode, 200)
  const limited = await get('client-a')
  t.equal(limited.statusCode, 429)
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After: ${limited.headers['retry-after']}`)
  t.match(String(limited.headers['content-type']), /^application\/problem\+json/)
  t.match(limited.json(), { status: 429, title: String, detail: String })
  t.equal(limited.headers['cache-control'], 'no-store')
  t.equal((await get('client-b')).statusCode, 200, 'another subject has its own budget')
  t.equal(
    (await app.inject({ method: 'GET', url: '/healthz' })).statusCode,
    200,
    'operations are not limited',
  )
  const keys = await app.redis.keys(`${app.config.REDIS_PREFIX}:rate-limit:*`)
  t.ok(keys.length > 0, 'counted in Redis under the prefix')
})

t.test('0 turns it off', async (t) => {
  const app = await build(t, { RATE_LIMIT_PER_MINUTE: '0' })
  for (let i = 0; i < 5; i++) {
    const response = await app.inject({ method: 'GET', url: '/v1/events', headers: bearer() })
    t.equal(response.statusCode, 200)
    t.notOk(response.headers['x-ratelimit-limit'])
  }
})

t.test('concurrent requests of one subject are counted exactly (one Redis call per loop turn)', async (t) => {
  const app = await build(t, { RATE_LIMIT_PER_MINUTE: '5' })
  const answers = await Promise.all(
    Array.from({ length: 8 }, () =>
      app.inject({ method: 'GET', url: '/v1/events', headers: bearer({ sub: 'burst' }) }),
    ),
  )
  const codes = answers.map((answer) => answer.statusCode).sort()
  t.same(codes, [200, 200, 200, 200, 200, 429, 429, 429])
  const remaining = answers
    .filter((answer) => answer.statusCode === 200)
    .map((answer) => Number(answer.headers['x-ratelimit-remaining']))
    .sort()
  t.same(remaining, [0, 1, 2, 3, 4], 'each request is told its own place in the budget')
})
