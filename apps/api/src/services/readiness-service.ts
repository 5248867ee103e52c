import type { Store } from '@scheduler/store'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { withTimeout } from '../with-timeout.js'
import { UnavailableError } from './domain-errors.js'

const READINESS_TIMEOUT_MS = 1_000

export interface ReadinessDeps {
  redis: Pick<Redis, 'ping'>
  store: Pick<Store, 'ping'>
}

/** Whether the API's dependencies answer (for orchestrators). */
export function makeReadiness(deps: ReadinessDeps) {
  return {
    /** Resolves when Redis and the store both answer within 1 s; else `UnavailableError` naming which did not. */
    async check(log: Pick<FastifyBaseLogger, 'warn'>): Promise<void> {
      const [redis, store] = await Promise.allSettled([
        withTimeout(deps.redis.ping(), READINESS_TIMEOUT_MS, 'Redis'),
        withTimeout(deps.store.ping(), READINESS_TIMEOUT_MS, 'store'),
      ])
      const down = [
        redis.status === 'rejected' ? 'Redis' : null,
        store.status === 'rejected' ? 'the store' : null,
      ]
        .filter(Boolean)
        .join(' and ')
      if (!down) return
      log.warn(
        {
          redis: redis.status === 'rejected' ? String(redis.reason) : 'ok',
          store: store.status === 'rejected' ? String(store.reason) : 'ok',
        },
        'not ready',
      )
      throw new UnavailableError(`Not ready: ${down} did not answer`)
    },
  }
}

export type Readiness = ReturnType<typeof makeReadiness>
