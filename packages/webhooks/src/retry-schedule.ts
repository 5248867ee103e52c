/** How far a retry may stray from its scheduled delay, as a fraction, so that receivers see no thundering herd. */
export const RETRY_JITTER = 0.2

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
