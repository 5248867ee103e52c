/**
 * Prints an access token for this deployment: `pnpm token [scope…] [--ttl seconds] [--sub subject]`.
 * Without scopes it grants all four. The configuration (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE) comes
 * from the environment, as the API reads it.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '@scheduler/config'
import { mintToken } from '../apps/api/src/auth/mint-token.js'
import { isScope, type Scope } from '../apps/api/src/auth/scopes.js'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ttl: { type: 'string', default: '3600' },
    sub: { type: 'string', default: 'auto-event-manager' },
  },
})

const ttlSeconds = Number(values.ttl)
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
  console.error(`--ttl must be a positive number of seconds, not "${values.ttl}"`)
  process.exit(2)
}
const scopes = positionals.flatMap((arg) => arg.split(/[\s,]+/)).filter(Boolean)
const unknown = scopes.filter((scope) => !isScope(scope))
if (unknown.length > 0) {
  console.error(
    `Unknown scope(s): ${unknown.join(', ')} (known: events:read events:write webhooks:manage calendar:admin)`,
  )
  process.exit(2)
}

console.log(
  mintToken(loadConfig(), {
    ttlSeconds,
    subject: values.sub,
    ...(scopes.length > 0 ? { scopes: scopes as Scope[] } : {}),
  }),
)
