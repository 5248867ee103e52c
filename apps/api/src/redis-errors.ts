const UNAVAILABLE = [
  'enableOfflineQueue',
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]

/**
 * True for the errors ioredis (and BullMQ through it) raises when Redis cannot be reached, as opposed to
 * errors Redis itself answered (`ReplyError`), which are bugs.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error.name === 'MaxRetriesPerRequestError') return true
  const code = (error as { code?: unknown }).code
  const text = `${typeof code === 'string' ? code : ''} ${error.message}`
  return UNAVAILABLE.some((marker) => text.includes(marker))
}
