import type { Instant } from '@scheduler/core'
import type { PlacementJobData } from '@scheduler/jobs'
import type { Store } from '@scheduler/store'
import { type Job, UnrecoverableError } from 'bullmq'
import type { PlacementEngine } from '../placement-engine.js'
import { failingForGood } from './job-failure.js'

/** The most jobs one batch plans and commits together. */
export const MAX_BATCH = 256

export interface PlaceEventDependencies {
  engine: PlacementEngine
  /**
   * The ids of up to `count` jobs waiting behind the one in hand, oldest first (BullMQ's waiting list,
   * `Queue.getRanges(['waiting'], 0, count - 1, true)`); none when it cannot tell.
   */
  waiting?: (count: number) => Promise<string[]>
  /**
   * Takes jobs that a batch committed out of the queue before BullMQ hands them over (`Queue.remove`, all
   * at once); answers which were removed. A job it cannot remove (already handed to a worker) is handed
   * over later and skipped, as without it.
   */
  removeWaiting?: (ids: string[]) => Promise<string[]>
  maxBatch?: number
  /** Where a job that fails for good is recorded (`Store.failJob`), and when. */
  store: Pick<Store, 'failJob'>
  clock: () => Instant
}

/**
 * The placement worker's processor: the calendar's only writer. BullMQ hands it one job at a time (the
 * queue's global concurrency is 1, across processes); it plans that job and the jobs waiting behind it,
 * in arrival order, as one batch against the in-memory calendar and commits them in one store
 * transaction, then removes the committed ones from the queue (`removeWaiting`). A waiting job that stays
 * in the queue (its removal failed, or a crash came first) changes nothing when BullMQ hands it over later:
 * the store (or this process's memory) says it is finished — exactly what a redelivery after a crash does.
 * Only the job in hand decides this call's outcome: when it fails, BullMQ retries it.
 * A job whose last attempt fails is recorded failed, and its pending event failed (`failingForGood`).
 */
export function createPlaceEventProcessor(deps: PlaceEventDependencies) {
  const { engine } = deps
  const maxBatch = Math.max(1, deps.maxBatch ?? MAX_BATCH)

  return failingForGood(async function placeEvent(bullJob: Job<PlacementJobData>): Promise<void> {
    const { calendarId, jobId } = bullJob.data
    if (engine.committed(jobId)) {
      engine.forget(jobId)
      return
    }
    const behind = maxBatch > 1 && deps.waiting ? await deps.waiting(maxBatch - 1).catch(() => []) : []
    const ids = [jobId, ...behind.filter((id) => id !== jobId && !engine.committed(id))]
    const outcomes = await engine.place(calendarId, ids)
    const own = outcomes.get(jobId)
    if (own === undefined) throw new UnrecoverableError(`Job ${jobId} is not in the store`)
    // Each job left behind would cost a BullMQ hand-over that changes nothing, one at a time, while new
    // jobs wait behind it: take the committed ones out of the queue in one go.
    const done = ids.filter((id) => id !== jobId && engine.committed(id))
    if (done.length > 0 && deps.removeWaiting) {
      for (const id of await deps.removeWaiting(done).catch(() => [])) engine.forget(id)
    }
    if (!own.ok) throw own.error
  }, deps)
}
