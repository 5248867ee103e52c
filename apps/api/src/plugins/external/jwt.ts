import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { verificationKey } from '../../auth/verification-key.js'

/** The claims of a verified access token. */
export interface AccessTokenClaims {
  iss: string
  aud: string | string[]
  sub?: string
  exp: number
  scope?: string
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims
    user: AccessTokenClaims
  }
}

/**
 * Bearer-token verification (verify-only: the API never signs). Only the configured algorithm is accepted,
 * `iss` and `aud` must match the configuration, and `exp` must be present.
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
        requiredClaims: ['exp'],
        clockTolerance: 5_000,
      },
    })
  },
  { name: 'jwt', dependencies: ['env'] },
)
