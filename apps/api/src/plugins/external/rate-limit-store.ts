import type { FastifyRateLimitOptions, FastifyRateLimitStore } from '@fastify/rate-limit'
import type { Redis, Result } from 'ioredis'

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void

interface Batch {
  callbacks: Callback[]
  timeWindow: number
}

// INCRBY by the batch's size; the window starts with the first hit (PEXPIRE), later hits read its PTTL.
// The same counting as @fastify/rate-limit's own Redis store, n hits in one call.
const INCREMENT = `
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl
if current == tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
else
  ttl = redis.call('PTTL', KEYS[1])
end
return {current, ttl}
`

declare module 'ioredis' {
  interface RedisCommander<Context> {
    schedulerRateLimit(key: string, hits: number, timeWindow: number): Result<[number, number], Context>
  }
}

const defined = new WeakSet<Redis>()

/**
 * A @fastify/rate-limit store counting in Redis like the library's own, but the hits on one key that arrive in
 * the same turn of the event loop share one Redis call: `INCRBY n` returns the count after the last of them,
 * and each hit is told its own count (the counter stays exact and shared by every API instance). Under load
 * this turns a Redis round trip per request into one per key per loop turn; an idle API answers as before.
 */
export function coalescingRedisStore(redis: Redis, nameSpace: string) {
  if (!defined.has(redis)) {
    defined.add(redis)
    redis.defineCommand('schedulerRateLimit', { numberOfKeys: 1, lua: INCREMENT })
  }
  return class CoalescingRedisStore implements FastifyRateLimitStore {
    readonly #prefix: string
    #pending = new Map<string, Batch>()
    #scheduled = false

    constructor(_options?: FastifyRateLimitOptions, prefix = nameSpace) {
      this.#prefix = prefix
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      const batch = this.#pending.get(key)
      if (batch) batch.callbacks.push(callback)
      else this.#pending.set(key, { callbacks: [callback], timeWindow })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    }

    #flush(): void {
      const pending = this.#pending
      this.#pending = new Map()
      this.#scheduled = false
      for (const [key, { callbacks, timeWindow }] of pending) {
        redis.schedulerRateLimit(this.#prefix + key, callbacks.length, timeWindow).then(
          ([current, ttl]) => {
            const first = current - callbacks.length
            callbacks.forEach((callback, index) => {
              callback(null, { current: first + index + 1, ttl })
            })
          },
          (error: Error) => {
            for (const callback of callbacks) callback(error)
          },
        )
      }
    }

    // A route with its own limits counts under its own key (the library passes `routeInfo`, untyped)
    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const route: { method?: unknown; url?: unknown } = Reflect.get(routeOptions, 'routeInfo') ?? {}
      return new CoalescingRedisStore(
        undefined,
        `${this.#prefix}${String(route.method)}${String(route.url)}-`,
      )
    }
  }
}
