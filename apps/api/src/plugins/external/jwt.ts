import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { CLOCK_TOLERANCE_MS } from '../../auth/token-time.js'
import { verificationKey } from '../../auth/verification-key.js'

/** The claims of a verified access token. */
export interface AccessTokenClaims {
  iss: string
  aud: string | string[]
  sub?: string
  exp: number
  iat?: number
  nbf?: number
  scope?: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims
    user: AccessTokenClaims
  }
}

/**
 * The claims every token must carry (RFC 8725 §3.8–3.9: a token minted for another service that shares the
 * key must not get in). fast-jwt checks `allowedIss`/`allowedAud` only when the claim is present, so
 * presence is required separately.
 */
export const REQUIRED_CLAIMS = ['iss', 'aud', 'exp'] as const

/** How many verified tokens are remembered, and for how long at most (ms). */
export const VERIFIED_TOKENS = 1_000
export const VERIFIED_TOKEN_TTL_MS = 10 * 60_000

/**
 * Bearer-token verification (verify-only: the API never signs). Only the configured algorithm is accepted;
 * `iss`, `aud` and `exp` must be present, `iss` equal JWT_ISSUER and `aud` be (or contain) JWT_AUDIENCE;
 * `exp` and `nbf` are checked with CLOCK_TOLERANCE_MS of leeway (`iat` in the future is refused by the
 * `authenticate` decorator, plugins/app/auth.ts, with the same leeway).
 */
export default fp(
  async (app: FastifyInstance) => {
    const { key, algorithms } = verificationKey(app.config)
    await app.register(fastifyJwt, {
      secret: { public: key },
      verify: {
        algorithms,
        allowedIss: app.config.JWT_ISSUER,
        allowedAud: app.config.JWT_AUDIENCE,
        requiredClaims: [...REQUIRED_CLAIMS],
        clockTolerance: CLOCK_TOLERANCE_MS,
        // A client sends the same token with many requests: verified tokens are remembered (fast-jwt's
        // bounded LRU, keyed by a hash of the token) until their `exp` (with the same tolerance), at most
        // VERIFIED_TOKEN_TTL_MS. Refusals are never served from it (their entry expires before it is read).
        cache: VERIFIED_TOKENS,
        cacheTTL: VERIFIED_TOKEN_TTL_MS,
        errorCacheTTL: () => -(CLOCK_TOLERANCE_MS + 1),
      },
    })
  },
  { name: 'jwt', dependencies: ['env'] },
)
