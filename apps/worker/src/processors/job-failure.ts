import { toEventResource, toIntervalResource } from '@scheduler/contract'
import { type Instant, type JobPlan, type Notification, newId } from '@scheduler/core'
import type { PlacementJobData } from '@scheduler/jobs'
import type { OutboxMessage, Store } from '@scheduler/store'
import type { Job } from 'bullmq'

/** How a job that failed for good is recorded (see `Store.failJob`). */
export const JOB_FAILED_ERROR = { code: 'INTERNAL', message: 'The change could not be applied' } as const

/** The outbox message announcing `notification` (the webhook body's `data` is the event as of `now`). */
export function outboxMessageOf(notification: Notification, now: Instant): OutboxMessage {
  return {
    id: newId('msg'),
    calendarId: notification.event.calendarId,
    type: notification.type,
    eventId: notification.event.id,
    data: {
      event: toEventResource(notification.event, now),
      sequence: notification.event.sequence,
      previous: notification.previous && toIntervalResource(notification.previous),
    },
    createdAt: now,
    dispatchedAt: null,
  }
}

/** True when BullMQ will not retry `bullJob` after `error` (its last attempt, or an `UnrecoverableError`). */
export function isFinalAttempt(bullJob: Pick<Job, 'attemptsMade' | 'opts'>, error: unknown): boolean {
  if (error instanceof Error && error.name === 'UnrecoverableError') return true
  // BullMQ retries while attemptsMade + 1 < attempts (`Job.shouldRetryJob`)
  return bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1)
}

/**
 * Records a placement job that failed for good: the job `failed`, and its event, if still `pending`,
 * `failed` with `NOT_APPLIED` and an `event.failed` message, in one store transaction. Calling it again
 * changes nothing (answers null).
 */
export function recordJobFailure(
  store: Pick<Store, 'failJob'>,
  data: PlacementJobData,
  at: Instant,
): Promise<JobPlan | null> {
  return store.failJob(data.calendarId, data.jobId, JOB_FAILED_ERROR, at, outboxMessageOf)
}

/**
 * Wraps a placement processor so that its last attempt, when it fails, is recorded before BullMQ marks the
 * job failed (`recordJobFailure`): while the processor still holds the job, so no other placement runs
 * meanwhile (the queue's global concurrency is 1). A failure to record it is left to the worker's `failed`
 * listener, which records it again, and to the reconciler, which retries a job the store still has unfinished.
 */
export function failingForGood(
  process: (bullJob: Job<PlacementJobData>) => Promise<void>,
  deps: { store: Pick<Store, 'failJob'>; clock: () => Instant },
): (bullJob: Job<PlacementJobData>) => Promise<void> {
  return async (bullJob) => {
    try {
      await process(bullJob)
    } catch (error) {
      if (isFinalAttempt(bullJob, error)) {
        await recordJobFailure(deps.store, bullJob.data, deps.clock()).catch(() => undefined)
      }
      throw error
    }
  }
}
