import { type Config, signingSecret } from '@scheduler/config'
import { createSigner } from 'fast-jwt'
import { SCOPES, type Scope } from './scopes.js'

export interface MintOptions {
  scopes?: readonly Scope[]
  ttlSeconds?: number
  subject?: string
}

/**
 * An HS256 access token for this deployment (`pnpm token`): iss and aud from the configuration, `exp`
 * after `ttlSeconds`, the scopes space-separated. Needs the HS256 secret (JWT_SECRET or the development
 * secret); a deployment verifying with JWT_PUBLIC_KEY gets its tokens from the holder of the private key.
 */
export function mintToken(config: Config, options: MintOptions = {}): string {
  const secret = signingSecret(config)
  if (!secret || config.JWT_PUBLIC_KEY) {
    throw new Error(
      'Tokens can be minted only with the HS256 secret; this deployment verifies with JWT_PUBLIC_KEY',
    )
  }
  const sign = createSigner({
    key: secret,
    algorithm: 'HS256',
    iss: config.JWT_ISSUER,
    aud: config.JWT_AUDIENCE,
    sub: options.subject ?? 'auto-event-manager',
    expiresIn: (options.ttlSeconds ?? 3600) * 1000,
  })
  return sign({ scope: (options.scopes ?? SCOPES).join(' ') })
}
