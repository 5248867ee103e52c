import { loadConfig } from '@scheduler/config'
import { createFreshDatabase } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys } from '@scheduler/test-helpers/redis-keys'
import Fastify from 'fastify'
import t from 'tap'
import schedulerApi from '../src/app.js'
import { appOptions } from '../src/app-options.js'
import { redactUrl } from '../src/log-serializers.js'
import { bearer, TEST_REDIS_URL, TEST_SECRET } from './helper.js'

t.test('feed tokens never reach the request log', async (t) => {
  t.equal(redactUrl('/v1/calendar.ics?token=ics_secret'), '/v1/calendar.ics?token=[redacted]')
  t.equal(redactUrl('/v1/calendar.ics?x=1&token=ics_secret&y=2'), '/v1/calendar.ics?x=1&token=[redacted]&y=2')
  t.equal(redactUrl('/v1/calendar.ics?TOKEN=a&token=b'), '/v1/calendar.ics?TOKEN=[redacted]&token=[redacted]')
  t.equal(redactUrl('/v1/events?limit=5'), '/v1/events?limit=5')
  t.equal(redactUrl('/v1/events?synctoken=abc'), '/v1/events?synctoken=abc', 'only the `token` parameter')
})

t.test('credentials never reach a log line, whatever the answer', async (t) => {
  const database = await createFreshDatabase()
  const prefix = `test-api-log-${process.pid}-${Date.now()}`
  const env = {
    STORE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'debug',
  }
  const lines: string[] = []
  const options = appOptions(loadConfig(env))
  // The production logger settings, written to this array instead of stdout
  const logger = { ...(options.logger as object), stream: { write: (line: string) => lines.push(line) } }
  const app = Fastify({ ...options, logger })
  await app.register(schedulerApi, { env })
  t.teardown(async () => {
    await app.close()
    await database.drop()
    await deleteKeys(prefix)
  })

  const { authorization } = bearer()
  const secret = authorization.slice('Bearer '.length)
  const answers = [
    await app.inject({ method: 'GET', url: '/v1/events', headers: { authorization } }),
    await app.inject({ method: 'GET', url: '/v1/events/evt_missing', headers: { authorization } }),
    await app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `${authorization}x` } }),
    await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization, 'content-type': 'application/json', cookie: 'scheduler_admin=s3cr3t-cookie' },
      payload: '{"title":',
    }),
    await app.inject({ method: 'GET', url: '/v1/calendar.ics?token=ics_s3cr3t' }),
  ]
  t.same(
    answers.map((answer) => answer.statusCode),
    [200, 404, 401, 400, answers[4]?.statusCode],
  )
  t.ok((answers[4]?.statusCode ?? 0) >= 400, 'the unknown feed token is refused')
  const log = lines.join('')
  t.ok(log.includes('request completed'), 'the requests were logged')
  t.notOk(log.includes(secret.slice(-20)), 'no bearer token')
  t.notOk(log.includes('s3cr3t'), 'no cookie, no feed token')
})
