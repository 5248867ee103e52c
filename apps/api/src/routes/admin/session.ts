import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { grantedScopes } from '../../auth/scopes.js'
import { ForbiddenProblem } from '../../errors.js'
import { ADMIN_SESSION_COOKIE } from '../../plugins/app/admin-session.js'
import { problemResponses } from '../route-schemas.js'

const ADMIN_SCOPE = 'calendar:admin'

const SET_COOKIE = {
  'set-cookie': {
    description: `\`${ADMIN_SESSION_COOKIE}=…; Path=/admin; HttpOnly; SameSite=Strict; Secure\` (Secure is left out for a client on loopback)`,
    type: 'string',
  },
}

/**
 * Signing in to the admin pages (the queue dashboard at `/admin/queues`): the bearer token is posted once in
 * `Authorization` and traded for a signed session cookie, so it never appears in a URL.
 */
const adminSessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/session',
    {
      schema: {
        tags: ['admin'],
        operationId: 'createAdminSession',
        summary: 'Sign in to the admin pages',
        description:
          'Send a bearer token with the scope `calendar:admin` in `Authorization`; the answer sets an ' +
          'HttpOnly, SameSite=Strict, signed session cookie (Secure except on loopback) for `/admin`, valid ' +
          'until the token expires (at most 8 h). Cross-site requests are refused (403).',
        security: [{ bearerAuth: [ADMIN_SCOPE] }],
        response: {
          204: { description: 'Signed in', headers: SET_COOKIE, ...Type.Null() },
          ...problemResponses(401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      app.adminSession.requireSameOrigin(request)
      const claims = await app.authenticate(request)
      if (!grantedScopes(claims.scope).has(ADMIN_SCOPE)) throw new ForbiddenProblem(ADMIN_SCOPE)
      app.adminSession.issue(request, reply, claims)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/session',
    {
      schema: {
        tags: ['admin'],
        operationId: 'deleteAdminSession',
        summary: 'Sign out of the admin pages',
        description: 'Expires the session cookie. Answers 204 with or without a session.',
        security: [],
        response: {
          204: { description: 'Signed out', headers: SET_COOKIE, ...Type.Null() },
          ...problemResponses(403),
        },
      },
    },
    async (request, reply) => {
      app.adminSession.requireSameOrigin(request)
      app.adminSession.clear(request, reply)
      return reply.code(204).send(null)
    },
  )
}

export default adminSessionRoutes
