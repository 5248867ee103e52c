import { setTimeout as sleep } from 'node:timers/promises'
import { type ClientSession, type MongoClient, MongoError, type TransactionOptions } from 'mongodb'

/** MaxTimeMSExpired: the commit waited `maxCommitTimeMS`; not sent again (as the driver does). */
const MAX_TIME_MS_EXPIRED = 50
/** The first wait before running a conflicting transaction again; it doubles per attempt, with jitter. */
const FIRST_BACKOFF_MS = 10
const MAX_BACKOFF_MS = 500

/**
 * Runs `work` in one transaction, as the driver's `withTransaction` does — again from the start after a
 * transient error (a write conflict, a failover), and the commit again when its result is unknown — but
 * bounded: no attempt starts after `timeoutMs` (the driver's own loop retries for up to 120 s, without a
 * pause), and conflicting attempts wait a jittered, doubling backoff. The last error is thrown as it is;
 * `toStoreError` reports the transient ones as `StoreUnavailableError`.
 *
 * `work` may run more than once: it must touch the database only through `session` and keep no state
 * between runs. An error that is not MongoDB's (the store's own refusals) aborts without a retry.
 */
export async function runTransaction<T>(
  client: MongoClient,
  options: TransactionOptions,
  timeoutMs: number,
  work: (session: ClientSession) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  const session = client.startSession()
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        session.startTransaction(options)
        let result: T
        try {
          result = await work(session)
        } catch (error) {
          if (session.inTransaction()) await session.abortTransaction().catch(() => undefined)
          throw error
        }
        await commit(session, deadline)
        return result
      } catch (error) {
        if (!hasLabel(error, 'TransientTransactionError')) throw error
        const backoff = Math.random() * Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt)
        if (Date.now() + backoff >= deadline) throw error
        await sleep(backoff)
      }
    }
  } finally {
    await session.endSession().catch(() => undefined)
  }
}

// The driver retries a commit once itself (retryable writes); one whose result is still unknown is sent
// again (with a majority write concern, by the driver) until the deadline.
async function commit(session: ClientSession, deadline: number): Promise<void> {
  for (;;) {
    try {
      await session.commitTransaction()
      return
    } catch (error) {
      const unknown =
        hasLabel(error, 'UnknownTransactionCommitResult') &&
        !(error instanceof MongoError && error.code === MAX_TIME_MS_EXPIRED)
      if (!unknown || Date.now() + FIRST_BACKOFF_MS >= deadline) throw error
      await sleep(FIRST_BACKOFF_MS)
    }
  }
}

function hasLabel(error: unknown, label: string): boolean {
  return error instanceof MongoError && error.hasErrorLabel(label)
}
