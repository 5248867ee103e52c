import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb'
import { StoreUnavailableError } from '../port.js'

// Server error codes that mean "no usable primary right now" (a step-down, a shutdown, an unreachable
// host) rather than a problem with the operation: the same request succeeds once the set recovers.
const UNAVAILABLE_CODES = new Set<number | string>([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
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

function isUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError
  ) {
    return true
  }
  if (!(error instanceof MongoError)) {
    const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
    return code !== undefined && UNAVAILABLE_SYSTEM_CODES.has(code)
  }
  if (error instanceof MongoServerError && error.code !== undefined && UNAVAILABLE_CODES.has(error.code)) {
    return true
  }
  // The driver has already retried these (retryable writes, `withTransaction` for up to 120 s): what is
  // left is for the caller to retry later.
  return error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('TransientTransactionError')
}

/** `error` as the port reports it: connectivity failures become `StoreUnavailableError`, the rest pass. */
export function toStoreError(error: unknown): unknown {
  if (isUnavailable(error)) {
    return new StoreUnavailableError('MongoDB is unavailable', { cause: error })
  }
  return error
}

/** Runs a store operation, reporting connectivity failures as `StoreUnavailableError`. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    throw toStoreError(error)
  }
}

/** A unique index refused the write (E11000), also when reported by a bulk write. */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY
}
