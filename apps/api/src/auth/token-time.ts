/**
 * How far a token's `nbf` and `iat` may lie in the future, and its `exp` in the past, in milliseconds:
 * 5 seconds of clock skew between the token's issuer and this service (RFC 7519 §4.1.4–4.1.6 allow "some
 * small leeway"). Anything further off is refused.
 */
export const CLOCK_TOLERANCE_MS = 5_000

/**
 * Why a token's `iat` (RFC 7519 §4.1.6, seconds since the epoch) cannot be accepted at `nowMs`, or null.
 * The claim is optional; when present it must be a number no later than now + CLOCK_TOLERANCE_MS: a token
 * that says it was issued in the future was minted by a clock (or a forger) that cannot be trusted, and
 * `exp` alone would otherwise let it live for as long as its issuer chose.
 */
export function issuedAtProblem(iat: unknown, nowMs: number): string | null {
  if (iat === undefined) return null
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return 'The iat claim must be a NumericDate'
  if (iat * 1000 > nowMs + CLOCK_TOLERANCE_MS) return 'The bearer token was issued in the future (iat)'
  return null
}
