import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  EventPageSchema,
  EventSchema,
  EventStatusViewSchema,
  ref,
  requestDateTime,
  toEventResource,
  toEventStatusResource,
  toEventTombstoneResource,
} from '@scheduler/contract'
import { EVENT_STATUSES } from '@scheduler/core'
import { Type } from '@sinclair/typebox'
import type { preValidationHookHandler } from 'fastify'
import { UnprocessableProblem, ValidationProblem } from '../../../errors.js'
import { IdParams, problemResponses } from '../../route-schemas.js'
import { instantAt } from '../../wire-input.js'
import attachmentRoutes from './attachments/index.js'
import intakeRoutes from './intake.js'
import previewRoutes from './preview.js'

const ListQuery = Type.Object(
  {
    from: Type.Optional(requestDateTime('Events whose time overlaps [from, to)')),
    to: Type.Optional(requestDateTime()),
    status: Type.Optional(
      Type.Array(Type.Union(EVENT_STATUSES.map((status) => Type.Literal(status))), {
        maxItems: EVENT_STATUSES.length * 2,
        description: 'Repeat it (`status=a&status=b`) or give a comma list (`status=a,b`)',
      }),
    ),
    updatedSince: Type.Optional(
      requestDateTime(
        'A convenience filter: updated at or after this. No guarantee for polling (a change that commits ' +
          'late with an older `updatedAt` is missed, deletions are not shown): poll with `syncToken` instead',
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 8192,
        description:
          '`nextCursor` of the page before (it carries the listing’s starting point in the change log)',
      }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('start'), Type.Literal('updated')], {
        default: 'start',
        description: '`start` (unplaced events last, by creation) or `updated` (by `updatedAt`, then id)',
      }),
    ),
    syncToken: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 8192,
        description:
          'The `syncToken` of a last page: answers every event created or changed since then (in its state ' +
          'now, once) and every event deleted since then as a tombstone. Only `limit` and `cursor` may go ' +
          'with it (else 400); an expired or unknown token is a 410',
      }),
    ),
  },
  { additionalProperties: false },
)

/** The query parameters a sync (`syncToken`) accepts besides the token itself. */
const SYNC_PARAMETERS = new Set(['syncToken', 'limit', 'cursor'])

/** `syncToken` answers changes, not a filtered view: any filter or order with it is a 400. */
const refuseFiltersWithSyncToken: preValidationHookHandler = async (request) => {
  const query = request.query as Record<string, unknown>
  if (query.syncToken === undefined) return
  const others = Object.keys(query).filter((name) => !SYNC_PARAMETERS.has(name))
  if (others.length > 0) {
    throw new ValidationProblem(
      `Only limit and cursor may go with syncToken, not ${others.join(', ')}`,
      others.map((name) => ({ path: `/query/${name}`, message: 'is not allowed with syncToken' })),
    )
  }
}

/** `status=a,b` and `status=a&status=b` mean the same: split comma lists before validation. */
const splitStatusList: preValidationHookHandler = async (request) => {
  const query = request.query as Record<string, unknown>
  const raw = query.status
  if (raw === undefined) return
  const values = Array.isArray(raw) ? raw : [raw]
  query.status = values.flatMap((value) => (typeof value === 'string' ? value.split(',') : [value]))
}

/** Reading events: the list with its filters and cursor, one event, and its status. */
const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events } = app.services

  app.get(
    '',
    {
      config: { scope: 'events:read' },
      preValidation: [refuseFiltersWithSyncToken, splitStatusList],
      schema: {
        tags: ['events'],
        summary: 'List events, or the changes since a sync token',
        operationId: 'listEvents',
        description:
          'Paging with `cursor` never skips an event that matches throughout the paging, also when events ' +
          'change or move meanwhile: after the last event in sort order come the matching events that changed ' +
          'since the listing began (by id; one that changed while being paged past may show up twice, in its ' +
          'new state). The last page (`nextCursor: null`) carries `syncToken`. ' +
          '`GET /v1/events?syncToken=…` answers every change since that token: events in their state now, ' +
          'each once, and deletions as tombstones `{id, deleted: true, deletedAt}`; its last page carries the ' +
          'next token. Changes whose transaction began before the token but committed after it are included. ' +
          'Tombstones and the change history are kept 30 days; an older or unknown token is a 410 ' +
          '(`type` ending in `sync-token-expired`): list everything again. `in_progress` and `completed` follow ' +
          'from the clock and are not changes: derive them from `start` and `end`. `to` not after `from` is a 422.',
        querystring: ListQuery,
        response: { 200: ref(EventPageSchema), ...problemResponses(400, 410, 422) },
      },
    },
    async (request) => {
      const { query } = request
      if (query.syncToken !== undefined) {
        const { value: changes, at } = await events.sync({
          syncToken: query.syncToken,
          limit: query.limit ?? 50,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        })
        return {
          items: changes.items.map((item) =>
            item.kind === 'event'
              ? toEventResource(item.event, at)
              : toEventTombstoneResource(item.id, item.deletedAt),
          ),
          nextCursor: changes.nextCursor,
          ...(changes.syncToken === null ? {} : { syncToken: changes.syncToken }),
        }
      }
      const from = query.from === undefined ? undefined : instantAt('/query/from', query.from)
      const to = query.to === undefined ? undefined : instantAt('/query/to', query.to)
      if (from !== undefined && to !== undefined && to <= from) {
        throw UnprocessableProblem.at('/query/to', 'must be after from')
      }
      const { value: page, at } = await events.list({
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(query.status ? { statuses: [...new Set(query.status)] } : {}),
        ...(query.updatedSince === undefined
          ? {}
          : { updatedSince: instantAt('/query/updatedSince', query.updatedSince) }),
        limit: query.limit ?? 50,
        order: query.order ?? 'start',
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      })
      return {
        items: page.items.map((event) => toEventResource(event, at)),
        nextCursor: page.nextCursor,
        ...(page.syncToken === null ? {} : { syncToken: page.syncToken }),
      }
    },
  )

  app.get(
    '/:id',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Get an event',
        operationId: 'getEvent',
        description: 'The `ETag` header carries the version for `If-Match`.',
        params: IdParams,
        response: {
          200: {
            description: 'The event',
            headers: {
              ETag: { type: 'string', description: 'The event’s version, `"<version>"`, for `If-Match`' },
            },
            ...ref(EventSchema),
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { value: event, at } = await events.get(request.params.id)
      reply.header('etag', `"${event.version}"`)
      return toEventResource(event, at)
    },
  )

  app.get(
    '/:id/status',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Get an event’s status',
        operationId: 'getEventStatus',
        params: IdParams,
        response: { 200: ref(EventStatusViewSchema), ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const { value: event, at } = await events.get(request.params.id)
      return toEventStatusResource(event, at)
    },
  )

  await app.register(previewRoutes)
  await app.register(intakeRoutes)
  await app.register(attachmentRoutes, { prefix: '/:id/attachments' })
}

export default eventRoutes
