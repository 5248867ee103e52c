/** The scopes a token's space-separated `scope` claim may grant. */
export const SCOPES = ['events:read', 'events:write', 'webhooks:manage', 'calendar:admin'] as const
export type Scope = (typeof SCOPES)[number]

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

/** The scopes a `scope` claim grants (a space-separated string; a list is tolerated). */
export function grantedScopes(claim: unknown): Set<string> {
  if (typeof claim === 'string') return new Set(claim.split(' ').filter(Boolean))
  if (Array.isArray(claim))
    return new Set(claim.filter((scope): scope is string => typeof scope === 'string'))
  return new Set()
}
