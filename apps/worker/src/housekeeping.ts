import type { Instant } from '@scheduler/core'
import type { Store } from '@scheduler/store'

/** Finished jobs, idempotency records, dispatched messages and delivery attempts are kept this long. */
export const RETENTION_MS = 7 * 24 * 3_600_000
const INTERVAL_MS = 10 * 60_000

/**
 * Removes what has outlived its use (the contract keeps jobs and idempotency keys at least 24 h; we keep a
 * week). Running it in every worker process is harmless: each pass is an idempotent delete.
 */
export function createHousekeeping(deps: {
  store: Pick<Store, 'purgeExpired'>
  clock: () => Instant
  onError: (error: unknown) => void
}) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  function tick(): void {
    running ??= deps.store
      .purgeExpired(deps.clock() - RETENTION_MS)
      .catch(deps.onError)
      .finally(() => {
        running = undefined
      })
  }

  return {
    start(): void {
      tick()
      timer = setInterval(tick, INTERVAL_MS)
      timer.unref()
    },
    async stop(): Promise<void> {
      clearInterval(timer)
      await running
    },
  }
}
