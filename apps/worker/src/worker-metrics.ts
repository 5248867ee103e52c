import { createServer, type Server } from 'node:http'
import { Counter, Histogram, Registry } from 'prom-client'

/** The worker's Prometheus metrics, served on WORKER_METRICS_PORT at /metrics. */
export function createWorkerMetrics() {
  const registry = new Registry()
  const placements = new Counter({
    name: 'scheduler_placements_total',
    help: 'Placement jobs finished, by job type and result (scheduled, failed, other, refused).',
    labelNames: ['type', 'result'] as const,
    registers: [registry],
  })
  const placementFailures = new Counter({
    name: 'scheduler_placement_failures_total',
    help: 'Events that could not be placed, by failure code.',
    labelNames: ['code'] as const,
    registers: [registry],
  })
  const placementLatency = new Histogram({
    name: 'scheduler_placement_duration_seconds',
    help: 'Time to process one placement job, from the worker picking it up to the store commit.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const displacements = new Counter({
    name: 'scheduler_displacements_total',
    help: 'Auto events moved (or failed) because a fixed event overrode them.',
    labelNames: ['result'] as const,
    registers: [registry],
  })
  const deliveries = new Counter({
    name: 'scheduler_webhook_deliveries_total',
    help: 'Webhook delivery attempts, by outcome (succeeded, retrying, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  })

  return {
    registry,
    placements,
    placementFailures,
    placementLatency,
    displacements,
    deliveries,
    /** Starts the /metrics endpoint; resolves with the server once it listens. */
    async serve(port: number, host: string): Promise<Server> {
      const server = createServer((request, response) => {
        if (request.method === 'GET' && request.url === '/metrics') {
          registry.metrics().then(
            (text) => {
              response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' })
              response.end(text)
            },
            () => {
              response.writeHead(500).end()
            },
          )
          return
        }
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, resolve)
      })
      return server
    },
  }
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>
