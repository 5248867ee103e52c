import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { RateLimitedProblem } from '../../errors.js'
import { coalescingRedisStore } from './rate-limit-store.js'

/**
 * RATE_LIMIT_PER_MINUTE requests per token subject (the client address for requests without a token), counted
 * in Redis so every API instance shares the budget (the hits of one loop turn in one call). It runs after authentication (`preValidation`), so the
 * subject is known; when Redis cannot answer the limit is skipped rather than failing the request.
 * 0 turns it off. Operational routes opt out with `config: { rateLimit: false }`.
 */
export default fp(
  async (app: FastifyInstance) => {
    const max = app.config.RATE_LIMIT_PER_MINUTE
    if (max === 0) return
    await app.register(fastifyRateLimit, {
      global: true,
      max,
      timeWindow: 60_000,
      hook: 'preValidation',
      // Concurrent requests of one subject share a Redis call (rate-limit-store.ts)
      store: coalescingRedisStore(app.redis, `${app.config.REDIS_PREFIX}:rate-limit:`),
      skipOnError: true,
      keyGenerator: (request: FastifyRequest) =>
        request.user?.sub ? `sub:${request.user.sub}` : `ip:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new RateLimitedProblem(Math.max(1, Math.ceil(context.ttl / 1000))),
    })
  },
  { name: 'rate-limit', dependencies: ['env', 'redis'] },
)
