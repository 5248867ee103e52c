import type { JobRecord } from '@scheduler/core'
import { Queue, type QueueOptions } from 'bullmq'
import type { Redis } from 'ioredis'

/** The one queue of calendar changes; its single consumer is the placement worker. */
export const PLACEMENT_QUEUE = 'placement'
/** Webhook deliveries: a queue and worker of their own, so a slow receiver never delays placement. */
export const DELIVERY_QUEUE = 'webhook-delivery'

/** A placement job names the persisted job; the store holds everything else. */
export interface PlacementJobData {
  calendarId: string
  jobId: string
}

/** One attempt series of one outbox message to one webhook. */
export interface DeliveryJobData {
  calendarId: string
  messageId: string
  webhookId: string
}

const DAY_SECONDS = 86_400

export type PlacementQueue = Queue<PlacementJobData, void, 'place'>
export type DeliveryQueue = Queue<DeliveryJobData, void, 'deliver'>

export function createPlacementQueue(connection: Redis, prefix: string): PlacementQueue {
  return new Queue<PlacementJobData, void, 'place'>(PLACEMENT_QUEUE, queueOptions(connection, prefix))
}

export function createDeliveryQueue(connection: Redis, prefix: string): DeliveryQueue {
  return new Queue<DeliveryJobData, void, 'deliver'>(DELIVERY_QUEUE, queueOptions(connection, prefix))
}

function queueOptions(connection: Redis, prefix: string): QueueOptions {
  return { connection, prefix }
}

/** The BullMQ job of a persisted placement job: its id is the persisted job's id. */
function placementJobOf(job: Pick<JobRecord, 'id' | 'calendarId'>) {
  return {
    name: 'place' as const,
    data: { calendarId: job.calendarId, jobId: job.id },
    opts: {
      jobId: job.id,
      attempts: 8,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: DAY_SECONDS },
      removeOnFail: { age: 7 * DAY_SECONDS },
    },
  }
}

/**
 * Puts a persisted job on the placement queue. The BullMQ job id is the persisted job's id, so enqueueing
 * the same job twice (the API and the reconciler racing) adds it once while BullMQ still remembers it, and
 * the worker's store check makes any later duplicate a no-op.
 */
export async function enqueuePlacement(
  queue: PlacementQueue,
  job: Pick<JobRecord, 'id' | 'calendarId'>,
): Promise<void> {
  const { name, data, opts } = placementJobOf(job)
  await queue.add(name, data, opts)
}

/**
 * `enqueuePlacement` for a busy producer: the jobs enqueued during one turn of the event loop (the requests
 * whose store writes completed together) go to Redis as one `addBulk`, one round trip, flushed in the same
 * turn's check phase (`setImmediate`), so no answer waits for a timer. Each promise settles with its batch:
 * when the batch fails, every job in it rejects with the same error.
 */
export function createPlacementEnqueuer(
  queue: PlacementQueue,
): (job: Pick<JobRecord, 'id' | 'calendarId'>) => Promise<void> {
  let waiting: Array<{ job: Pick<JobRecord, 'id' | 'calendarId'>; settle: (error?: unknown) => void }> = []
  function flush(): void {
    const batch = waiting
    waiting = []
    queue.addBulk(batch.map(({ job }) => placementJobOf(job))).then(
      () => {
        for (const { settle } of batch) settle()
      },
      (error: unknown) => {
        for (const { settle } of batch) settle(error ?? new Error('addBulk failed'))
      },
    )
  }
  return (job) =>
    new Promise<void>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush)
      waiting.push({ job, settle: (error) => (error === undefined ? resolve() : reject(error)) })
    })
}

/** The BullMQ job id of a delivery: stable, so dispatching a message twice delivers it once. */
export function deliveryJobId(messageId: string, webhookId: string): string {
  return `${messageId}.${webhookId}`
}

/**
 * Puts a delivery on its queue. Retries are scheduled by the delivery worker itself (a custom backoff), so
 * `attempts` and the delays both come from the webhook retry policy (@scheduler/webhooks' `webhookRetryPolicy`).
 */
export async function enqueueDelivery(
  queue: DeliveryQueue,
  data: DeliveryJobData,
  attempts: number,
): Promise<void> {
  await queue.add('deliver', data, {
    jobId: deliveryJobId(data.messageId, data.webhookId),
    attempts,
    backoff: { type: 'webhook-schedule' },
    removeOnComplete: { age: DAY_SECONDS },
    removeOnFail: { age: 7 * DAY_SECONDS },
  })
}
