/** How far a retry may stray from its scheduled delay, as a fraction, so that receivers see no thundering herd. */
export const RETRY_JITTER = 0.2

/**
 * The webhook retry policy, in its one home: how many attempts a delivery gets and how long each retry
 * waits. Built once from WEBHOOK_RETRY_SCHEDULE; the dispatcher enqueues with `attempts`, the delivery
 * worker's backoff strategy is `delay`, and the processor records an attempt `failed` rather than
 * `retrying` when it is the last one.
 */
export interface WebhookRetryPolicy {
  /** The delay before retry 1, 2, … in milliseconds (WEBHOOK_RETRY_SCHEDULE). */
  readonly schedule: readonly number[]
  /** Attempts per delivery: the first try plus one per schedule entry. */
  readonly attempts: number
  /** Milliseconds before the next attempt after `attemptsMade` attempts: see `retryDelay`. */
  delay(attemptsMade: number): number
}

/** The policy of a schedule (milliseconds); `random` in [0, 1) drives the jitter. */
export function webhookRetryPolicy(
  schedule: readonly number[],
  random: () => number = Math.random,
): WebhookRetryPolicy {
  return {
    schedule,
    attempts: schedule.length + 1,
    delay: (attemptsMade) => retryDelay(attemptsMade, schedule, random),
  }
}

/**
 * The delay before the next attempt after `attemptsMade` attempts (1 after the first failure): the
 * schedule's entry for that retry (its last entry once exhausted), ±20% jitter, never negative.
 */
export function retryDelay(
  attemptsMade: number,
  schedule: readonly number[],
  random: () => number = Math.random,
): number {
  if (schedule.length === 0) return 0
  const index = Math.min(Math.max(attemptsMade - 1, 0), schedule.length - 1)
  const base = schedule[index] ?? 0
  const factor = 1 + (random() * 2 - 1) * RETRY_JITTER
  return Math.max(0, Math.round(base * factor))
}
