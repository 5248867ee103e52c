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
    const states = await queueStates(
      deps.queue,
      jobs.map((job) => job.id),
    )
    for (const [i, job] of jobs.entries()) {
      // Out of retries while the store was away (so the store could not be told): try again.
      if (states[i] === 'failed') await (await deps.queue.getJob(job.id))?.retry()
      else if (states[i] === 'missing') await enqueuePlacement(deps.queue, job)
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

/**
 * Where BullMQ holds each job of `ids`: `missing` (no job hash), `failed`, or `queued` (any other state),
 * asked in one pipelined round trip: a backlog of unfinished jobs (a burst being drained) costs the
 * reconciler one round trip per pass, not two per job.
 */
async function queueStates(
  queue: PlacementQueue,
  ids: readonly string[],
): Promise<Array<'missing' | 'failed' | 'queued'>> {
  if (ids.length === 0) return []
  const client = await queue.client
  const pipeline = client.pipeline()
  for (const id of ids) {
    pipeline.runCommand('exists', [queue.toKey(id)])
    pipeline.runCommand('zscore', [queue.toKey('failed'), id])
  }
  const replies = (await pipeline.exec()) ?? []
  return ids.map((_, i) => {
    const [existsError, exists] = replies[2 * i] ?? [null, 0]
    const [scoreError, score] = replies[2 * i + 1] ?? [null, null]
    if (existsError) throw existsError
    if (scoreError) throw scoreError
    if (exists === 0) return 'missing'
    return score !== null ? 'failed' : 'queued'
  })
}
