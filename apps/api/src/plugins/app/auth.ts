import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { grantedScopes, type Scope } from '../../auth/scopes.js'
import { CLOCK_TOLERANCE_MS, issuedAtProblem } from '../../auth/token-time.js'
import { ForbiddenProblem, UnauthorizedProblem } from '../../errors.js'
import { type AccessTokenClaims, VERIFIED_TOKEN_TTL_MS, VERIFIED_TOKENS } from '../external/jwt.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a `/v1` route requires; every `/v1` route declares one. */
    scope?: Scope
  }
  interface FastifyInstance {
    /** Verifies the bearer token (401 otherwise) and answers its claims, also found in `request.user`. */
    authenticate: (request: FastifyRequest) => Promise<AccessTokenClaims>
    /**
     * An `onRequest` hook: authenticates the request, then requires the route's `config.scope` (403).
     * Registered once for every `/v1` route (routes/v1/index.ts).
     */
    authorize: (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void
  }
}

/**
 * `Bearer`, one space, a compact JWS (RFC 6750 §2.1). The scheme is case-insensitive (RFC 9110 §11.1), so
 * `bearer` is accepted; anything else — two spaces, trailing text, a second credential — is refused rather
 * than guessed at. Credentials are read from this header only, never from the query string or a cookie.
 */
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i
/** Longer tokens are refused before they are decoded (ours are a few hundred bytes). */
export const MAX_TOKEN_LENGTH = 8192

/** The 401 detail for a token fast-jwt (through @fastify/jwt) refused, by the error's code. */
function refusalDetail(error: { code?: string; message?: string }): string {
  if (error.code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED') return 'The bearer token has expired'
  if (error.code === 'FAST_JWT_INACTIVE') return 'The bearer token is not valid yet (nbf)'
  if (/claim is required/.test(error.message ?? '')) {
    return 'The bearer token lacks a required claim: iss, aud and exp are required'
  }
  return 'The bearer token is invalid (signature, algorithm, issuer, audience or expiry)'
}

export default fp(
  async (app: FastifyInstance) => {
    // Accepted tokens by their Authorization header, until their `exp` (with the verifier's tolerance), at
    // most VERIFIED_TOKEN_TTL_MS: a client's next request with the same token skips @fastify/jwt's decode
    // and fast-jwt's hashed cache lookup. Refusals are never remembered; the oldest entry goes first.
    const accepted = new Map<string, { claims: AccessTokenClaims; untilMs: number }>()

    /** The claims of a token accepted before (and still within its time), set on the request; else undefined. */
    function remembered(request: FastifyRequest): AccessTokenClaims | undefined {
      const known = accepted.get(request.headers.authorization ?? '')
      if (known === undefined || Date.now() >= known.untilMs) return undefined
      request.user = known.claims
      return known.claims
    }

    async function authenticate(request: FastifyRequest): Promise<AccessTokenClaims> {
      return remembered(request) ?? verify(request)
    }

    async function verify(request: FastifyRequest): Promise<AccessTokenClaims> {
      const header = request.headers.authorization
      if (!header)
        throw new UnauthorizedProblem('This request needs a bearer token (Authorization: Bearer <JWT>)', null)
      if (header.length > MAX_TOKEN_LENGTH + 'Bearer '.length) {
        throw new UnauthorizedProblem('The bearer token is too long')
      }
      if (!BEARER.test(header)) {
        throw new UnauthorizedProblem('The Authorization header must be "Bearer <JWT>"', 'invalid_request')
      }
      let claims: AccessTokenClaims
      try {
        claims = await request.jwtVerify<AccessTokenClaims>()
      } catch (error) {
        request.log.info({ reason: (error as Error).message }, 'bearer token refused')
        throw new UnauthorizedProblem(refusalDetail(error as { code?: string; message?: string }))
      }
      const issuedAt = issuedAtProblem(claims.iat, Date.now())
      if (issuedAt) {
        request.log.info({ reason: issuedAt, iat: claims.iat }, 'bearer token refused')
        throw new UnauthorizedProblem(issuedAt)
      }
      const now = Date.now()
      if (accepted.size >= VERIFIED_TOKENS) accepted.delete(accepted.keys().next().value ?? '')
      accepted.set(header, {
        claims,
        untilMs: Math.min(claims.exp * 1000 + CLOCK_TOLERANCE_MS, now + VERIFIED_TOKEN_TTL_MS),
      })
      return claims
    }

    // The scopes of a verified token's claims, parsed once while its claims are cached
    const scopes = new WeakMap<AccessTokenClaims, Set<string>>()
    function scopesOf(claims: AccessTokenClaims): Set<string> {
      let granted = scopes.get(claims)
      if (granted === undefined) {
        granted = grantedScopes(claims.scope)
        scopes.set(claims, granted)
      }
      return granted
    }

    /** The 403 for a route's scope the claims do not grant, or undefined. */
    function scopeRefusal(request: FastifyRequest, claims: AccessTokenClaims): ForbiddenProblem | undefined {
      const scope = request.routeOptions.config.scope
      // Routes without a scope are refused at registration; this guards against a misconfigured route
      if (!scope) return new ForbiddenProblem('(undeclared)')
      return scopesOf(claims).has(scope) ? undefined : new ForbiddenProblem(scope)
    }

    app.decorate('authenticate', authenticate)
    // A callback hook: a remembered token (nearly every request) is checked without a promise
    app.decorate(
      'authorize',
      (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
        const claims = remembered(request)
        if (claims !== undefined) {
          done(scopeRefusal(request, claims))
          return
        }
        verify(request).then((verified) => done(scopeRefusal(request, verified)), done)
      },
    )
  },
  { name: 'auth', dependencies: ['jwt'] },
)
