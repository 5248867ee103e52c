import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ValidationProblem } from '../../errors.js'
import {
  type Idempotent,
  type IdempotentRequest,
  isIdempotencyKey,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  requestHash,
  type StoredAnswer,
} from '../../services/idempotency-service.js'

/** An HTTP answer: status, body and the headers that go with it. */
export interface Answer extends StoredAnswer {
  headers?: Record<string, string>
}

/** How a write route answers: a fresh result, what its key records, a replay. */
export interface AnswerSpec<R> {
  /** The answer to the write's result. */
  present(result: R): Answer
  /** What the key records for the result; by default the status and body `present` answers. */
  record?(result: R): StoredAnswer
  /** The answer to a recorded one sent again (by default as recorded); `Idempotent-Replayed: true` is added. */
  replay?(recorded: StoredAnswer): Answer
}

/**
 * The request's key for the service (null without an `Idempotency-Key` header): the key and a hash of the
 * method, route pattern, params, body and `If-Match`. A service that reads the request's content itself (an
 * upload) passes what identifies it as `identity`, which stands for the body (and `If-Match`).
 */
export type KeyFor<R> = (identity?: { body: unknown }) => IdempotentRequest<R> | null

export interface IdempotencyHelper {
  /**
   * Runs a service's write under the request's `Idempotency-Key` and sends the answer: the same key with the
   * same request answers the recorded result again (`Idempotent-Replayed: true`) and writes nothing, with
   * another request a 422. Every write route answers through here; the protocol itself is the services'
   * `IdempotentWrites.run`. A key that is empty or longer than 255 characters is a 400.
   */
  write<R>(
    request: FastifyRequest,
    reply: FastifyReply,
    spec: AnswerSpec<R>,
    run: (key: KeyFor<R>) => Promise<Idempotent<R>>,
  ): Promise<FastifyReply>
}

declare module 'fastify' {
  interface FastifyInstance {
    idempotency: IdempotencyHelper
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value
}

function send(reply: FastifyReply, answer: Answer, extra: Record<string, string> = {}): FastifyReply {
  return reply
    .code(answer.status)
    .headers({ ...answer.headers, ...extra })
    .send(answer.body)
}

export default fp(
  async (app: FastifyInstance) => {
    const helper: IdempotencyHelper = {
      async write<R>(
        request: FastifyRequest,
        reply: FastifyReply,
        spec: AnswerSpec<R>,
        run: (key: KeyFor<R>) => Promise<Idempotent<R>>,
      ) {
        const key = headerText(request.headers['idempotency-key'])
        if (key !== undefined && !isIdempotencyKey(key)) {
          throw ValidationProblem.at(
            '/headers/idempotency-key',
            `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
          )
        }
        // The answer presented for the record is the one sent: presented once
        let presented: { result: R; answer: Answer } | undefined
        const present = (result: R): Answer => {
          if (presented === undefined || presented.result !== result) {
            presented = { result, answer: spec.present(result) }
          }
          return presented.answer
        }
        const answerOf = (result: R): StoredAnswer => {
          if (spec.record) return spec.record(result)
          const { status, body } = present(result)
          return { status, body }
        }
        const keyFor: KeyFor<R> = (identity) => {
          if (key === undefined) return null
          const hash = requestHash({
            method: request.method,
            route: request.routeOptions.url ?? request.url,
            params: request.params,
            body: identity ? identity.body : request.body,
            ifMatch: identity ? undefined : headerText(request.headers['if-match']),
          })
          return { context: { calendarId: CALENDAR_ID_DEFAULT, key, requestHash: hash }, answerOf }
        }
        const outcome = await run(keyFor)
        if (outcome.replayed) {
          const answer = spec.replay ? spec.replay(outcome.answer) : outcome.answer
          return send(reply, answer, { 'idempotent-replayed': 'true' })
        }
        return send(reply, present(outcome.value))
      },
    }
    app.decorate('idempotency', helper)
  },
  { name: 'idempotency' },
)

/** 204 and no body: a deletion's answer. */
export const NO_CONTENT: AnswerSpec<void> = { present: () => ({ status: 204, body: null }) }
