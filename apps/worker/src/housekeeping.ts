import type { Instant } from '@scheduler/core'
import type { Store } from '@scheduler/store'

/** Finished jobs, idempotency records, dispatched messages and delivery attempts are kept this long. */
export const RETENTION_MS = 7 * 24 * 3_600_000
/**
 * The change history behind sync tokens, tombstones included, is kept this long (the contract: at least 30
 * days); an older token answers 410 and the client lists everything again.
 */
export const CHANGE_HISTORY_MS = 30 * 24 * 3_600_000
const INTERVAL_MS = 10 * 60_000

/**
 * Removes what has outlived its use (the contract keeps jobs and idempotency keys at least 24 h; we keep a
 * week; the change history and tombstones 30 days). Running it in every worker process is harmless: each pass is an idempotent delete.
 */
export function createHousekeeping(deps: {
  store: Pick<Store, 'purgeExpired' | 'purgeEventChanges'>
  clock: () => Instant
  onError: (error: unknown) => void
}) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  function tick(): void {
    const now = deps.clock()
    running ??= deps.store
      .purgeExpired(now - RETENTION_MS)
      .then(() => deps.store.purgeEventChanges(now - CHANGE_HISTORY_MS))
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
