import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb'
import { DuplicateIdError, StoreUnavailableError } from '../port.js'

// Server error codes that mean "no usable primary right now" (a step-down, a shutdown, an unreachable
// host) rather than a problem with the operation: the same request succeeds once the set recovers.
const UNAVAILABLE_CODES = new Set<number | string>([
  6, // HostUnreachable
  7, // HostNotFound
  24, // LockTimeout
  50, // MaxTimeMSExpired: the server gave up at maxTimeMS / maxCommitTimeMS
  64, // WriteConcernFailed: no majority acknowledged within wtimeout (a secondary is down)
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
  262, // ExceededTimeLimit
])

// Node's own errors that reach us unwrapped: the DNS look-ups of a `mongodb+srv://` connection string.
const UNAVAILABLE_SYSTEM_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEOUT',
  'ETIMEDOUT',
  'ESERVFAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

const DUPLICATE_KEY = 11000

// The driver's own time limits: a connection checkout that waited `waitQueueTimeoutMS`, a client-side
// operation timeout. Matched by name, as the driver does not export the pool's error classes.
const UNAVAILABLE_DRIVER_ERRORS = new Set([
  'MongoWaitQueueTimeoutError',
  'MongoPoolClosedError',
  'MongoClientClosedError',
])

function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoWriteConcernError
  ) {
    return true
  }
  if (error instanceof MongoError && UNAVAILABLE_DRIVER_ERRORS.has(error.name)) return true
  if (!(error instanceof MongoError)) {
    const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
    return code !== undefined && UNAVAILABLE_SYSTEM_CODES.has(code)
  }
  if (error instanceof MongoServerError && error.code !== undefined && UNAVAILABLE_CODES.has(error.code)) {
    return true
  }
  // The driver has already retried these (retryable writes, `runTransaction` until its deadline): what is
  // left is for the caller to retry later. A commit whose result is unknown may have been applied: the
  // caller's retry finds it (an idempotency key replays, a finished job is stale).
  return (
    error.hasErrorLabel('RetryableWriteError') ||
    error.hasErrorLabel('TransientTransactionError') ||
    error.hasErrorLabel('UnknownTransactionCommitResult')
  )
}

/**
 * `error` as the port reports it: connectivity failures and timeouts become `StoreUnavailableError`, a
 * unique index's refusal `DuplicateIdError`, the rest pass.
 */
export function toStoreError(error: unknown): unknown {
  if (isUnavailable(error)) {
    return new StoreUnavailableError('MongoDB is unavailable', { cause: error })
  }
  if (isDuplicateKey(error)) {
    return new DuplicateIdError('A record with this id exists already', { cause: error })
  }
  return error
}

/**
 * Runs a store operation, reporting connectivity failures as `StoreUnavailableError`. With `timeoutMs`,
 * the operation also rejects with `StoreUnavailableError` once that many ms have passed: the backstop
 * behind the driver's own limits (socket, checkout, server selection, write concern), which each bound
 * one step, while a retried read or write takes several.
 */
export async function guarded<T>(operation: () => Promise<T>, timeoutMs?: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    const work = operation()
    if (timeoutMs === undefined) return await work
    // The work goes on after the deadline (the driver's limits end it): its outcome is ignored then.
    work.catch(() => undefined)
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`MongoDB did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    return await Promise.race([work, deadline])
  } catch (error) {
    throw toStoreError(error)
  } finally {
    clearTimeout(timer)
  }
}

/** A unique index refused the write (E11000), also when reported by a bulk write. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY
}
