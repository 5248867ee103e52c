import { createPlacementQueue, createRedisConnection, type PlacementQueue } from '@scheduler/jobs'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** The producer connection: fails fast (no offline queue) so requests answer 503 while Redis is away. */
    redis: Redis
    placementQueue: PlacementQueue
  }
}

const FIRST_CONNECT_WAIT_MS = 2_000

/** Resolves on the first connection, the first failure or after `ms`, whichever comes first. */
function firstConnection(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      redis.off('ready', done)
      redis.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    redis.once('ready', done)
    redis.once('error', done)
  })
}

/**
 * The Redis producer connection and the placement queue on it. Startup waits for the first connection
 * attempt but not for success: without Redis the API serves reads and answers 503 to changes until Redis
 * is reachable.
 */
export default fp(
  async (app: FastifyInstance) => {
    const redis = createRedisConnection(app.config.REDIS_URL, 'producer')
    const placementQueue = createPlacementQueue(redis, app.config.REDIS_PREFIX)
    let lastError = ''
    placementQueue.on('error', (error) => {
      // ioredis retries forever; log each distinct failure once rather than every reconnect attempt
      if (error.message !== lastError) app.log.warn({ err: error }, 'placement queue connection error')
      lastError = error.message
    })
    redis.on('ready', () => {
      lastError = ''
    })
    await firstConnection(redis, FIRST_CONNECT_WAIT_MS)
    app.decorate('redis', redis)
    app.decorate('placementQueue', placementQueue)
    app.addHook('onClose', async () => {
      await placementQueue.close()
      if (redis.status === 'ready') await redis.quit()
      else redis.disconnect()
    })
  },
  { name: 'redis', dependencies: ['env'] },
)
