import { Redis } from 'ioredis'

/**
 * The two Redis connection roles BullMQ's production guide asks for. Producers (the API) fail fast when
 * Redis is away, so a request answers 503 instead of hanging; workers wait for Redis forever, because a
 * blocked worker simply resumes when Redis returns.
 */
export function createRedisConnection(url: string, role: 'producer' | 'worker'): Redis {
  const redis =
    role === 'producer'
      ? new Redis(url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          commandTimeout: 2_000,
        })
      : new Redis(url, { maxRetriesPerRequest: null })
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  redis.on('error', () => {})
  return redis
}
