import type { Server } from 'node:http'
import { type Config, initialCalendar, parseDurationList } from '@scheduler/config'
import {
  createDeliveryQueue,
  createPlacementQueue,
  createRedisConnection,
  DELIVERY_QUEUE,
  type DeliveryJobData,
  PLACEMENT_QUEUE,
  type PlacementJobData,
} from '@scheduler/jobs'
import { openStore } from '@scheduler/store'
import { webhookRetryPolicy } from '@scheduler/webhooks'
import { Worker } from 'bullmq'
import type { Logger } from 'pino'
import { createHousekeeping } from './housekeeping.js'
import { createJobReconciler } from './job-reconciler.js'
import { createOutboxDispatcher } from './outbox-dispatcher.js'
import { createPlacementEngine } from './placement-engine.js'
import {
  createDeliverWebhookProcessor,
  deliveryWorkerOptions,
} from './processors/deliver-webhook-processor.js'
import { recordJobFailure } from './processors/job-failure.js'
import { createPlaceEventProcessor } from './processors/place-event-processor.js'
import { createWorkerMetrics } from './worker-metrics.js'

export interface RunningWorker {
  /** Stops taking work, finishes the jobs in hand, and closes everything this process opened. */
  close(): Promise<void>
  metricsPort: number | null
}

/**
 * Wires the worker process: the placement worker (the calendar's one writer, concurrency 1 here and
 * globally), the reconciler that re-enqueues persisted but unqueued jobs, the outbox dispatcher and the
 * webhook delivery worker, housekeeping, and the /metrics endpoint.
 */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const clock = () => Date.now()
  const store = await openStore(config.STORE_URL, { timeoutMs: config.STORE_TIMEOUT_MS })
  await store.ensureCalendar(initialCalendar(config))

  // One shared connection per role (BullMQ's production guide): Queue clients share one, each Worker
  // duplicates its own blocking connection from the worker connection.
  const queueConnection = createRedisConnection(config.REDIS_URL, 'worker')
  const workerConnection = createRedisConnection(config.REDIS_URL, 'worker')
  const placementQueue = createPlacementQueue(queueConnection, config.REDIS_PREFIX)
  const deliveryQueue = createDeliveryQueue(queueConnection, config.REDIS_PREFIX)
  // Several worker processes may run; the queue itself lets only one placement job be active at a time.
  await placementQueue.setGlobalConcurrency(1)

  const metrics = createWorkerMetrics()
  const retryPolicy = webhookRetryPolicy(parseDurationList(config.WEBHOOK_RETRY_SCHEDULE))

  const dispatcher = createOutboxDispatcher({
    store,
    deliveryQueue,
    attempts: retryPolicy.attempts,
    logger,
    intervalMs: 500,
    // A committed batch writes up to PLACEMENT_BATCH_MAX messages: dispatched in one or two reads.
    batchSize: 500,
  })

  const engine = createPlacementEngine({
    store,
    clock,
    onLoaded(calendarId, events, durationMs) {
      logger.info({ calendarId, events, durationMs }, 'calendar loaded')
    },
    onApplied(job, plan, durationMs) {
      metrics.placementLatency.observe(durationMs / 1000)
      const placed = plan.upserts.find((event) => event.id === job.eventId)
      const result = plan.job.state === 'failed' ? 'refused' : (placed?.status ?? 'other')
      metrics.placements.inc({ type: job.type, result })
      if (placed?.status === 'failed' && placed.failure)
        metrics.placementFailures.inc({ code: placed.failure.code })
      for (const move of plan.job.outcome?.displaced ?? []) {
        metrics.displacements.inc({ result: move.to ? 'moved' : 'failed' })
      }
      dispatcher.wake()
    },
  })
  const placeEvent = createPlaceEventProcessor({
    engine,
    maxBatch: config.PLACEMENT_BATCH_MAX,
    waiting: (count) => placementQueue.getRanges(['waiting'], 0, count - 1, true),
    async removeWaiting(ids) {
      const removed = await Promise.all(ids.map((id) => placementQueue.remove(id)))
      return ids.filter((_, i) => removed[i] === 1)
    },
    store,
    clock,
  })

  const placementWorker = new Worker<PlacementJobData, void, 'place'>(PLACEMENT_QUEUE, placeEvent, {
    connection: workerConnection,
    prefix: config.REDIS_PREFIX,
    concurrency: 1,
    // Placement jobs take milliseconds. A short lock lets a job whose worker was killed go back to the
    // queue within seconds; until then the global concurrency of 1 holds every other job back.
    lockDuration: 10_000,
    stalledInterval: 5_000,
    maxStalledCount: 5,
  })
  placementWorker.on('error', (error) => logger.error({ err: error }, 'placement worker error'))
  placementWorker.on('failed', (job, error) => {
    if (!job) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError'
    logger.warn({ err: error, jobId: job.id, attempt: job.attemptsMade, final }, 'placement job failed')
    if (!final) return
    // Out of retries: record it (the processor did already, unless the job stalled too often or the store
    // was away), so the job reads `failed`, its pending event `failed`, and the reconciler stops re-enqueueing it.
    recordJobFailure(store, job.data, clock())
      .then((plan) => {
        if (plan?.upserts.length) dispatcher.wake()
      })
      .catch((failError) => logger.error({ err: failError, jobId: job.id }, 'could not record a failed job'))
  })

  const deliveryWorker = new Worker<DeliveryJobData, void, 'deliver'>(
    DELIVERY_QUEUE,
    createDeliverWebhookProcessor({
      store,
      retryPolicy,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      allowLoopback: config.WEBHOOK_ALLOW_LOOPBACK,
      logger,
    }),
    {
      connection: workerConnection,
      prefix: config.REDIS_PREFIX,
      concurrency: 8,
      ...deliveryWorkerOptions(retryPolicy),
    },
  )
  deliveryWorker.on('error', (error) => logger.error({ err: error }, 'delivery worker error'))
  deliveryWorker.on('completed', () => metrics.deliveries.inc({ outcome: 'succeeded' }))
  deliveryWorker.on('failed', (job, error) => {
    const final =
      job !== undefined &&
      (job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError')
    metrics.deliveries.inc({ outcome: final ? 'failed' : 'retrying' })
  })

  const reconciler = createJobReconciler({
    store,
    queue: placementQueue,
    afterMs: config.RECONCILE_AFTER_MS,
    clock,
    onError: (error) => logger.warn({ err: error }, 'reconciler pass failed'),
  })
  const housekeeping = createHousekeeping({
    store,
    clock,
    onError: (error) => logger.warn({ err: error }, 'housekeeping pass failed'),
  })
  reconciler.start()
  dispatcher.start()
  housekeeping.start()

  let metricsServer: Server | null = null
  if (config.WORKER_METRICS_PORT > 0)
    metricsServer = await metrics.serve(config.WORKER_METRICS_PORT, config.HOST)
  const address = metricsServer?.address()
  logger.info({ metricsPort: typeof address === 'object' ? address?.port : null }, 'worker started')

  return {
    metricsPort: typeof address === 'object' && address ? address.port : null,
    async close() {
      // The order of BullMQ's and Infisical's shutdowns: stop taking work and finish the job in hand, then
      // close the queues, Redis and the store.
      await reconciler.stop()
      await dispatcher.stop()
      await housekeeping.stop()
      await Promise.all([placementWorker.close(), deliveryWorker.close()])
      await Promise.all([placementQueue.close(), deliveryQueue.close()])
      await Promise.all([queueConnection.quit(), workerConnection.quit()])
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()))
      await store.close()
      logger.info('worker stopped')
    },
  }
}
