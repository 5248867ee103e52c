import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { grantedScopes, type Scope } from '../../auth/scopes.js'
import { ForbiddenProblem, UnauthorizedProblem } from '../../errors.js'
import type { AccessTokenClaims } from '../external/jwt.js'

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
    authorize: (request: FastifyRequest) => Promise<void>
  }
}

const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i

export default fp(
  async (app: FastifyInstance) => {
    async function authenticate(request: FastifyRequest): Promise<AccessTokenClaims> {
      const header = request.headers.authorization
      if (!header)
        throw new UnauthorizedProblem('This request needs a bearer token (Authorization: Bearer <JWT>)', null)
      if (!BEARER.test(header)) {
        throw new UnauthorizedProblem('The Authorization header must be "Bearer <JWT>"', 'invalid_request')
      }
      try {
        return await request.jwtVerify<AccessTokenClaims>()
      } catch (error) {
        request.log.info({ reason: (error as Error).message }, 'bearer token refused')
        const expired = (error as { code?: string }).code === 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED'
        throw new UnauthorizedProblem(
          expired
            ? 'The bearer token has expired'
            : 'The bearer token is invalid (signature, algorithm, issuer, audience or expiry)',
        )
      }
    }

    app.decorate('authenticate', authenticate)
    app.decorate('authorize', async (request: FastifyRequest) => {
      const claims = await authenticate(request)
      const scope = request.routeOptions.config.scope
      // Routes without a scope are refused at registration; this guards against a misconfigured route
      if (!scope) throw new ForbiddenProblem('(undeclared)')
      if (!grantedScopes(claims.scope).has(scope)) throw new ForbiddenProblem(scope)
    })
  },
  { name: 'auth', dependencies: ['jwt'] },
)
