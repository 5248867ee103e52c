import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  type Idempotency,
  type IdempotencyContext,
  makeIdempotency,
  type StoredAnswer,
} from '../../services/idempotency-service.js'

export interface IdempotencyHelper extends Idempotency {
  /**
   * The request's `Idempotency-Key` context (null without the header): the key and a hash of the method,
   * route pattern, params, body and `If-Match`. Call it after validation, so the body is the validated one.
   */
  of(request: FastifyRequest, calendarId?: string): IdempotencyContext | null
  /** Sends a stored answer again, with `Idempotent-Replayed: true`. */
  replay(reply: FastifyReply, answer: StoredAnswer): FastifyReply
}

declare module 'fastify' {
  interface FastifyInstance {
    idempotency: IdempotencyHelper
  }
}

export default fp(
  async (app: FastifyInstance) => {
    const idempotency = makeIdempotency({ store: app.store })
    const helper: IdempotencyHelper = {
      ...idempotency,
      of(request, calendarId = CALENDAR_ID_DEFAULT) {
        const header = request.headers['idempotency-key']
        const key = Array.isArray(header) ? header.join(',') : header
        const ifMatch = request.headers['if-match']
        return idempotency.contextOf(
          key,
          {
            method: request.method,
            route: request.routeOptions.url ?? request.url,
            params: request.params,
            body: request.body,
            ifMatch: Array.isArray(ifMatch) ? ifMatch.join(',') : ifMatch,
          },
          calendarId,
        )
      },
      replay(reply, answer) {
        return reply.code(answer.status).header('idempotent-replayed', 'true').send(answer.body)
      },
    }
    app.decorate('idempotency', helper)
  },
  { name: 'idempotency', dependencies: ['store'] },
)
