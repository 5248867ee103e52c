import type { Instant } from '@scheduler/core'
import { enqueuePlacement, type PlacementQueue } from '@scheduler/jobs'
import type { Store } from '@scheduler/store'

export interface JobReconcilerDependencies {
  store: Pick<Store, 'unfinishedJobs'>
  queue: PlacementQueue
  /** A job persisted this long ago and still unfinished is put on the queue again. */
  afterMs: number
  clock: () => Instant
  onError: (error: unknown) => void
}

/**
 * The safety net behind "accepted work is never lost": the API persists a job before it answers 202 and
 * then enqueues it, so a crash or a Redis outage in between leaves a persisted job that no queue knows.
 * The reconciler finds such jobs in the store and enqueues them again (the BullMQ id is the job id, so a job
 * BullMQ still holds is left alone), and retries one that BullMQ gave up on while the store was unreachable.
 * The processor skips jobs the store already finished.
 */
export function createJobReconciler(deps: JobReconcilerDependencies) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<number> | undefined

  async function reconcileOnce(): Promise<number> {
    const jobs = await deps.store.unfinishedJobs(deps.clock() - deps.afterMs, 500)
    for (const job of jobs) {
      const queued = await deps.queue.getJob(job.id)
      // Out of retries while the store was away (so the store could not be told): try again.
      if (queued && (await queued.isFailed())) await queued.retry()
      else if (!queued) await enqueuePlacement(deps.queue, job)
    }
    return jobs.length
  }

  function tick(): void {
    if (running) return
    running = reconcileOnce()
      .catch((error) => {
        deps.onError(error)
        return 0
      })
      .finally(() => {
        running = undefined
      })
  }

  return {
    reconcileOnce,
    start(): void {
      tick()
      timer = setInterval(tick, Math.max(100, Math.floor(deps.afterMs / 3)))
      timer.unref()
    },
    async stop(): Promise<void> {
      clearInterval(timer)
      await running
    },
  }
}
