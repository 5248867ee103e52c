import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { withTimeout } from '../../with-timeout.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry (one per app, so apps built side by side do not share counters). */
    metrics: Registry
  }
}

const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'completed',
  'failed',
] as const

/**
 * `GET /metrics` in the Prometheus text format: request counts and latencies by method, route pattern and
 * status, and the placement queue's depth per state, read from Redis at scrape time.
 */
export default fp(
  async (app: FastifyInstance) => {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    })
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    })
    new Gauge({
      name: 'placement_queue_jobs',
      help: 'Jobs in the placement queue per state',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        try {
          // BullMQ waits for a connection rather than failing: do not let a scrape hang on it
          if (app.redis.status !== 'ready') throw new Error('Redis is not connected')
          const counts = await withTimeout(
            app.placementQueue.getJobCounts(...QUEUE_STATES),
            1_000,
            'queue depth',
          )
          for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0)
        } catch (error) {
          // A scrape while Redis is away still reports the HTTP metrics
          app.log.warn({ err: error }, 'queue depth unavailable')
          this.reset()
        }
      },
    })

    // The labelled series of each method, route and status, looked up once: prom-client otherwise builds
    // and hashes the label set on every observation
    const series = new Map<
      string,
      { count: Counter.Internal; latency: Histogram.Internal<'method' | 'route' | 'status_code'> }
    >()
    app.addHook('onResponse', (request, reply, done) => {
      const method = request.method
      const route = request.routeOptions.url ?? '(unmatched)'
      const statusCode = String(reply.statusCode)
      const key = `${method} ${statusCode} ${route}`
      let labelled = series.get(key)
      if (labelled === undefined) {
        labelled = {
          count: requests.labels(method, route, statusCode),
          latency: duration.labels(method, route, statusCode),
        }
        series.set(key, labelled)
      }
      labelled.count.inc()
      labelled.latency.observe(reply.elapsedTime / 1000)
      done()
    })

    app.decorate('metrics', registry)
    app.get(
      '/metrics',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics',
          operationId: 'getMetrics',
          security: [],
          response: {
            200: {
              description: 'Prometheus text exposition format',
              content: { 'text/plain': { schema: Type.String() } },
            },
          },
        },
      },
      async (_request, reply) => {
        const text = await registry.metrics()
        return reply.type(registry.contentType).send(text)
      },
    )
  },
  { name: 'metrics', dependencies: ['redis'] },
)
