import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sessionSecret } from '@scheduler/config'
import type { FeedTokenRecord } from '@scheduler/store'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest } from 'fastify'
import { ConflictProblem } from '../../../errors.js'
import { type AnswerSpec, NO_CONTENT } from '../../../plugins/app/idempotency.js'
import { makeTokenSealer } from '../../../services/feed-token-secrets.js'
import type { CreatedFeedToken } from '../../../services/feed-token-service.js'
import { ChangeHeaders, IdParams, problemResponses } from '../../route-schemas.js'

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
  const { feedTokens } = app.services
  const sealer = makeTokenSealer(sessionSecret(app.config))

  function feedUrl(request: FastifyRequest, token: string): string {
    const origin = app.config.PUBLIC_URL ?? `${request.protocol}://${request.host}`
    return `${origin}/v1/calendar.ics?token=${encodeURIComponent(token)}`
  }

  /**
   * 201 with the token and its feed URL. The key records the answer with the token sealed and no URL, so
   * that the store keeps no token in the clear; a replay opens it again.
   */
  function createdAnswer(request: FastifyRequest): AnswerSpec<CreatedFeedToken> {
    const answer = (resource: ReturnType<typeof toFeedTokenResource>, token: string) => ({
      status: 201,
      body: { ...resource, token, url: feedUrl(request, token) },
    })
    return {
      present: ({ record, token }) => answer(toFeedTokenResource(record), token),
      record: ({ record, token }) => {
        const recorded: RecordedCreation = { ...toFeedTokenResource(record), sealedToken: sealer.seal(token) }
        return { status: 201, body: recorded }
      },
      replay: (stored) => {
        const { sealedToken, ...resource } = stored.body as RecordedCreation
        const token = sealer.open(sealedToken)
        if (token === null) {
          throw new ConflictProblem(
            'The token created with this Idempotency-Key can no longer be shown (SESSION_SECRET changed); ' +
              'revoke it and create another with a new key',
          )
        }
        return answer(resource, token)
      },
    }
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
    async (request, reply) =>
      app.idempotency.write(request, reply, createdAnswer(request), (key) =>
        feedTokens.create(request.body.label ?? null, key()),
      ),
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
    async () => ({ items: (await feedTokens.list()).map(toFeedTokenResource) }),
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
    async (request, reply) =>
      app.idempotency.write(request, reply, NO_CONTENT, (key) => feedTokens.revoke(request.params.id, key())),
  )
}

export default feedTokenRoutes
