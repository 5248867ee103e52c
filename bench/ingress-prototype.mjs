/**
 * Issue 11's reference point, served beside the API by `pnpm bench ingress`: a careful prototype of an
 * accepted create with only the steps every create needs — the bearer token verified (fast-jwt, verified
 * tokens cached) and its `events:write` scope checked before anything else, the body checked by a route
 * schema (ajv), ONE PostgreSQL insert, ONE BullMQ add, a 202 —
 * and none of the API's other guarantees: no idempotency record, no job record, no change log, no rate
 * limit, no request log, no metrics, no problem+json, no 503 when Redis is away. Plain JavaScript run by
 * plain node, from the API's own Fastify and fast-jwt and the repository's pg, ioredis and BullMQ.
 * Environment: PORT, STORE_URL, REDIS_URL, REDIS_PREFIX, JWT_SECRET (those of the API under test).
 */
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import pg from 'pg'

const fromApi = createRequire(new URL('../apps/api/package.json', import.meta.url))
const fastify = fromApi('fastify')
const { createVerifier } = fromApi('fast-jwt')

const { PORT, STORE_URL, REDIS_URL, REDIS_PREFIX, JWT_SECRET } = process.env
const pool = new pg.Pool({ connectionString: STORE_URL, max: 10 })
await pool.query(`CREATE TABLE IF NOT EXISTS prototype_events (
  id text PRIMARY KEY, title text NOT NULL, duration_minutes integer NOT NULL, status text NOT NULL,
  created_at timestamptz NOT NULL)`)
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
await new Promise((resolve) => redis.once('ready', resolve))
const queue = new Queue('prototype-placement', { connection: redis, prefix: REDIS_PREFIX })
const verify = createVerifier({ key: JWT_SECRET, algorithms: ['HS256'], cache: 1000 })

const app = fastify()
// Authentication first, as in the API: a bearer token, verified, with the `events:write` scope
app.addHook('onRequest', (request, reply, done) => {
  if (request.url === '/readyz') return done()
  const authorization = request.headers.authorization ?? ''
  let claims
  try {
    if (!authorization.startsWith('Bearer ')) throw new Error('no bearer token')
    claims = verify(authorization.slice('Bearer '.length))
  } catch {
    return reply.code(401).send({ title: 'Unauthorized' })
  }
  if (
    !String(claims.scope ?? '')
      .split(' ')
      .includes('events:write')
  ) {
    return reply.code(403).send({ title: 'Forbidden' })
  }
  done()
})
app.post(
  '/v1/events',
  {
    schema: {
      body: {
        type: 'object',
        required: ['title', 'durationMinutes'],
        additionalProperties: false,
        properties: {
          title: { type: 'string', minLength: 1, maxLength: 200 },
          durationMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
        },
      },
    },
  },
  async (request, reply) => {
    const id = `evt_${randomUUID()}`
    const createdAt = new Date().toISOString()
    const { title, durationMinutes } = request.body
    await pool.query(
      'INSERT INTO prototype_events (id, title, duration_minutes, status, created_at) VALUES ($1, $2, $3, $4, $5)',
      [id, title, durationMinutes, 'pending', createdAt],
    )
    await queue.add('place', { eventId: id }, { jobId: id })
    return reply.code(202).send({ id, title, durationMinutes, status: 'pending', createdAt })
  },
)
app.get('/readyz', async () => ({ status: 'ok' }))
await app.listen({ host: '127.0.0.1', port: Number(PORT) })
process.on('SIGTERM', async () => {
  await app.close()
  await queue.close()
  redis.disconnect()
  await pool.end()
})
