import type { JobPlan } from './job-planner.js'
import type { EventRecord, Failure, Instant, JobRecord } from './types.js'

/** A job that failed for good, and its event as stored now (null when it does not exist). */
export interface JobFailureInput {
  job: Pick<JobRecord, 'id' | 'type' | 'eventId'>
  event: EventRecord | null
  /** Why the job failed, as recorded on the job (`GET /v1/jobs/{id}`'s `error`). */
  error: { code: string; message: string }
  now: Instant
}

/**
 * What a job that cannot be applied (out of retries, or refused as unrecoverable) does, so that no job
 * failure leaves its event waiting for ever: the job ends `failed` with `error`, and an event still
 * `pending` (its create never applied) ends `failed` with the failure code `NOT_APPLIED` and an
 * `event.failed` notification. Any other event is left as it is: the change was not applied, and the event
 * stays in the state it was already in (a failed event can be moved by a PATCH again, cancelled, deleted).
 * Pure; the store applies the answer in one transaction (`Store.failJob`).
 */
export function planJobFailure(input: JobFailureInput): JobPlan {
  const { event, error, now } = input
  const job: JobPlan['job'] = { state: 'failed', outcome: null, error }
  if (event === null || event.status !== 'pending') {
    return { upserts: [], deletions: [], job, notifications: [] }
  }
  const failure: Failure = {
    code: 'NOT_APPLIED',
    message: `The ${input.job.type} could not be applied (${error.code}); the event was not placed`,
    alternatives: [],
  }
  const failed: EventRecord = {
    ...event,
    status: 'failed',
    start: null,
    end: null,
    failure,
    attendeeConflicts: [],
    outsideWorkingHours: false,
    version: event.version + 1,
    sequence: event.sequence + 1,
    updatedAt: now,
  }
  return {
    upserts: [failed],
    deletions: [],
    job,
    notifications: [{ type: 'event.failed', event: failed, previous: null }],
  }
}
