import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sessionSecret } from '@scheduler/config'
import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import type { FeedTokenRecord } from '@scheduler/store'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { ConflictProblem, NotFoundProblem } from '../../../errors.js'
import { makeTokenSealer, newFeedToken } from '../../../services/feed-token-secrets.js'
import { ChangeHeaders, IdParams, problemResponses } from '../../route-schemas.js'

const FEED_TOKEN_ID_BYTES = 16

const Instant = Type.String({ format: 'date-time', description: 'RFC 3339, UTC with milliseconds' })

const FeedTokenSchema = Type.Object(
  {
    id: Type.String({ description: '`ftk_…`' }),
    label: Type.Union([Type.String(), Type.Null()], { description: 'What the token is for, if given' }),
    createdAt: Instant,
  },
  { additionalProperties: false, description: 'A feed token, without the token itself.' },
)

const FeedTokenCreatedSchema = Type.Object(
  {
    id: Type.String({ description: '`ftk_…`' }),
    label: Type.Union([Type.String(), Type.Null()]),
    token: Type.String({ description: 'The token (`ics_…`): shown only in this answer' }),
    url: Type.String({
      format: 'uri',
      description: 'The feed URL to subscribe to from a calendar app: `…/v1/calendar.ics?token=…`',
    }),
    createdAt: Instant,
  },
  {
    additionalProperties: false,
    description:
      'Created. `token` (also in `url`) is shown only here; the service keeps only its SHA-256. The same ' +
      '`Idempotency-Key` answers the same token again within 24 h.',
  },
)

const FeedTokenCreateRequestSchema = Type.Object(
  {
    label: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[^\\u0000-\\u001f\\u007f]*$',
        description: 'What the token is for (“Ann’s phone”): 1–200 characters, no control characters',
      }),
    ),
  },
  { additionalProperties: false },
)

const FeedTokenListSchema = Type.Object(
  { items: Type.Array(FeedTokenSchema) },
  { additionalProperties: false, description: 'Every feed token of the calendar, oldest first.' },
)

/** What the idempotency record keeps of a creation: the answer with the token sealed and no URL. */
interface RecordedCreation {
  id: string
  label: string | null
  createdAt: string
  sealedToken: string
}

function toFeedTokenResource(token: FeedTokenRecord) {
  return { id: token.id, label: token.label, createdAt: new Date(token.createdAt).toISOString() }
}

/**
 * Read-only tokens for the calendar's ICS feed (`GET /v1/calendar.ics?token=…`): calendar apps cannot send
 * an Authorization header, so the token rides in the URL. Created and revoked with `calendar:admin`.
 */
const feedTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const calendarId = CALENDAR_ID_DEFAULT
  const sealer = makeTokenSealer(sessionSecret(app.config))

  function feedUrl(request: FastifyRequest, token: string): string {
    const origin = app.config.PUBLIC_URL ?? `${request.protocol}://${request.host}`
    return `${origin}/v1/calendar.ics?token=${encodeURIComponent(token)}`
  }

  function createdAnswer(request: FastifyRequest, recorded: RecordedCreation) {
    const token = sealer.open(recorded.sealedToken)
    if (token === null) {
      throw new ConflictProblem(
        'The token created with this Idempotency-Key can no longer be shown (SESSION_SECRET changed); ' +
          'revoke it and create another with a new key',
      )
    }
    const { sealedToken: _, ...rest } = recorded
    return { ...rest, token, url: feedUrl(request, token) }
  }

  app.post(
    '/',
    {
      config: { scope: 'calendar:admin' },
      // No body at all (`curl -X POST`) is the same as `{}`: the label is optional
      preValidation: async (request) => {
        request.body ??= {}
      },
      schema: {
        tags: ['calendar'],
        operationId: 'createFeedToken',
        summary: 'Create a feed token',
        description:
          'A read-only token for `GET /v1/calendar.ics`. The token is shown only in this answer; revoke it ' +
          'with `DELETE /v1/calendar/feed-tokens/{id}`.',
        headers: ChangeHeaders,
        body: FeedTokenCreateRequestSchema,
        response: { 201: FeedTokenCreatedSchema, ...problemResponses(400, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) {
        const answer = createdAnswer(request, stored.body as RecordedCreation)
        return reply.code(201).header('idempotent-replayed', 'true').send(answer)
      }

      const { token, tokenHash } = newFeedToken()
      const record: FeedTokenRecord = {
        id: `ftk_${randomBytes(FEED_TOKEN_ID_BYTES).toString('base64url')}`,
        calendarId,
        label: request.body.label ?? null,
        tokenHash,
        createdAt: now,
      }
      const recorded: RecordedCreation = {
        ...toFeedTokenResource(record),
        sealedToken: sealer.seal(token),
      }
      const result = await app.store.createFeedToken(
        record,
        app.idempotency.record(context, { status: 201, body: recorded }, now),
      )
      if (result.kind === 'replay' && context) {
        const answer = app.idempotency.answerOf(context, result.record)
        const replayed = createdAnswer(request, answer.body as RecordedCreation)
        return reply.code(201).header('idempotent-replayed', 'true').send(replayed)
      }
      reply.code(201)
      return { ...toFeedTokenResource(record), token, url: feedUrl(request, token) }
    },
  )

  app.get(
    '/',
    {
      config: { scope: 'calendar:admin' },
      schema: {
        tags: ['calendar'],
        operationId: 'listFeedTokens',
        summary: 'List feed tokens',
        description: 'The tokens themselves are never listed.',
        response: { 200: FeedTokenListSchema },
      },
    },
    async () => {
      const tokens = await app.store.listFeedTokens(calendarId)
      return { items: tokens.map(toFeedTokenResource) }
    },
  )

  app.delete(
    '/:id',
    {
      config: { scope: 'calendar:admin' },
      schema: {
        tags: ['calendar'],
        operationId: 'deleteFeedToken',
        summary: 'Revoke a feed token',
        description:
          'The feed answers 404 to the token from now on. Revoking again answers 404, except with the same ' +
          '`Idempotency-Key`: that answers the recorded 204 again (`Idempotent-Replayed: true`). A 404 ' +
          'records no key.',
        params: IdParams,
        headers: ChangeHeaders,
        response: {
          204: Type.Null({ description: 'Revoked' }),
          ...problemResponses(400, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)
      const result = await app.store.deleteFeedToken(
        calendarId,
        request.params.id,
        app.idempotency.record(context, { status: 204, body: null }, now),
      )
      if (result.kind === 'replay' && context) {
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      }
      if (result.kind === 'done' && !result.value) {
        throw new NotFoundProblem(`Feed token ${request.params.id} does not exist`)
      }
      return reply.code(204).send(null)
    },
  )
}

export default feedTokenRoutes
