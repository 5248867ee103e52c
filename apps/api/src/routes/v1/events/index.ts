import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  EventPageSchema,
  EventSchema,
  EventStatusViewSchema,
  ref,
  requestDateTime,
  toEventResource,
  toEventStatusResource,
} from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT, EVENT_STATUSES } from '@scheduler/core'
import { Type } from '@sinclair/typebox'
import type { preValidationHookHandler } from 'fastify'
import { NotFoundProblem, UnprocessableProblem } from '../../../errors.js'
import { instantAt } from '../../../services/event-requests.js'
import { IdParams, problemResponses } from '../../route-schemas.js'
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
    updatedSince: Type.Optional(requestDateTime('Updated at or after this')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: '`nextCursor` of the page before' }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('start'), Type.Literal('updated')], {
        default: 'start',
        description: '`start` (unplaced events last, by creation) or `updated` (for incremental polling)',
      }),
    ),
  },
  { additionalProperties: false },
)

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
  const calendarId = CALENDAR_ID_DEFAULT

  app.get(
    '',
    {
      config: { scope: 'events:read' },
      preValidation: splitStatusList,
      schema: {
        tags: ['events'],
        summary: 'List events',
        operationId: 'listEvents',
        description:
          'Paging with `cursor` visits every matching event exactly once. `to` not after `from` is a 422.',
        querystring: ListQuery,
        response: { 200: ref(EventPageSchema), ...problemResponses(400, 422) },
      },
    },
    async (request) => {
      const { query } = request
      const from = query.from === undefined ? undefined : instantAt('/query/from', query.from)
      const to = query.to === undefined ? undefined : instantAt('/query/to', query.to)
      if (from !== undefined && to !== undefined && to <= from) {
        throw UnprocessableProblem.at('/query/to', 'must be after from')
      }
      const now = Date.now()
      const page = await app.store.listEvents(calendarId, {
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(query.status ? { statuses: [...new Set(query.status)] } : {}),
        ...(query.updatedSince === undefined
          ? {}
          : { updatedSince: instantAt('/query/updatedSince', query.updatedSince) }),
        limit: query.limit ?? 50,
        order: query.order ?? 'start',
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        now,
      })
      return { items: page.items.map((event) => toEventResource(event, now)), nextCursor: page.nextCursor }
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
      const event = await app.store.getEvent(calendarId, request.params.id)
      if (!event) throw new NotFoundProblem(`Event ${request.params.id} does not exist`)
      reply.header('etag', `"${event.version}"`)
      return toEventResource(event, Date.now())
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
      const event = await app.store.getEvent(calendarId, request.params.id)
      if (!event) throw new NotFoundProblem(`Event ${request.params.id} does not exist`)
      return toEventStatusResource(event, Date.now())
    },
  )

  await app.register(previewRoutes)
  await app.register(intakeRoutes)
  await app.register(attachmentRoutes, { prefix: '/:id/attachments' })
}

export default eventRoutes
