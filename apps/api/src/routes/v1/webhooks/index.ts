import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  DeliverySchema,
  ref,
  toDeliveryResource,
  toWebhookCreatedResource,
  toWebhookResource,
  WebhookCreatedSchema,
  WebhookCreateRequestSchema,
  WebhookSchema,
} from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT, newId, type WebhookEventType } from '@scheduler/core'
import type { WebhookRecord } from '@scheduler/store'
import { checkWebhookUrl, generateWebhookSecret } from '@scheduler/webhooks'
import { Type } from '@sinclair/typebox'
import { NotFoundProblem, ValidationProblem } from '../../../errors.js'
import { ChangeHeaders, IdParams, problemResponses } from '../../route-schemas.js'

const DEFAULT_EVENTS: WebhookEventType[] = ['event.failed']

const WebhookListSchema = Type.Object(
  { items: Type.Array(ref(WebhookSchema)) },
  {
    additionalProperties: false,
    description: 'Every registered webhook, oldest first (secrets are never listed).',
  },
)

const DeliveryListSchema = Type.Object(
  { items: Type.Array(ref(DeliverySchema)) },
  { additionalProperties: false, description: 'Recent delivery attempts, newest first.' },
)

const DeliveriesQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) },
  { additionalProperties: false },
)

const CREATED = {
  description: 'Registered. `secret` signs every delivery and is shown only in this answer.',
  headers: { Location: { type: 'string', description: 'The webhook’s URL, `/v1/webhooks/{id}`' } },
  ...ref(WebhookCreatedSchema),
}

/**
 * Failure callbacks: receivers of Standard Webhooks deliveries. URLs are checked here (https, public
 * addresses only, in every spelling) and again, after DNS resolution, at every delivery.
 */
const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const calendarId = CALENDAR_ID_DEFAULT
  const addressPolicy = { allowLoopback: app.config.WEBHOOK_ALLOW_LOOPBACK }

  app.post(
    '/',
    {
      config: { scope: 'webhooks:manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Register a webhook',
        operationId: 'createWebhook',
        description:
          '`url` must be `https` and reach a public address: loopback, private, link-local, unique-local, ' +
          'multicast and cloud-metadata hosts are refused (400) in every spelling, as are single-label, ' +
          'cluster-internal (`*.svc`, `*.cluster.local`, `*.internal`, …) and other names outside the public ' +
          'DNS. A name resolving to such an address is refused at delivery (`ADDRESS_REFUSED`, not retried). ' +
          '`events` defaults to ' +
          '`["event.failed"]`. Deliveries follow the Standard Webhooks specification, signed with `secret`.',
        headers: ChangeHeaders,
        body: ref(WebhookCreateRequestSchema),
        response: { 201: CREATED, ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { body } = request
      const check = checkWebhookUrl(body.url, addressPolicy)
      if (!check.ok) throw ValidationProblem.at('/body/url', check.reason)

      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)

      const webhook: WebhookRecord = {
        id: newId('whk'),
        calendarId,
        url: body.url,
        events: [...new Set(body.events ?? DEFAULT_EVENTS)],
        description: body.description ?? null,
        secret: generateWebhookSecret(),
        createdAt: now,
      }
      const created = toWebhookCreatedResource(webhook)
      const result = await app.store.createWebhook(
        webhook,
        app.idempotency.record(context, { status: 201, body: created }, now),
      )
      if (result.kind === 'replay' && context) {
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      }
      reply.code(201).header('location', `/v1/webhooks/${encodeURIComponent(webhook.id)}`)
      return created
    },
  )

  app.get(
    '/',
    {
      config: { scope: 'webhooks:manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'List webhooks',
        operationId: 'listWebhooks',
        response: { 200: WebhookListSchema },
      },
    },
    async () => {
      const webhooks = await app.store.listWebhooks(calendarId)
      return { items: webhooks.map(toWebhookResource) }
    },
  )

  app.get(
    '/:id',
    {
      config: { scope: 'webhooks:manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Get a webhook',
        operationId: 'getWebhook',
        description: 'The secret is not shown again.',
        params: IdParams,
        response: { 200: ref(WebhookSchema), ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const webhook = await app.store.getWebhook(calendarId, request.params.id)
      if (!webhook) throw new NotFoundProblem(`Webhook ${request.params.id} does not exist`)
      return toWebhookResource(webhook)
    },
  )

  app.delete(
    '/:id',
    {
      config: { scope: 'webhooks:manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook',
        operationId: 'deleteWebhook',
        description:
          'Deliveries not yet sent to it are dropped. Deleting again answers 404, except with the same ' +
          '`Idempotency-Key`: that answers the recorded 204 again (`Idempotent-Replayed: true`); the key with ' +
          'another request is a 422. A 404 records no key.',
        params: IdParams,
        headers: ChangeHeaders,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...problemResponses(400, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)
      const result = await app.store.deleteWebhook(
        calendarId,
        request.params.id,
        app.idempotency.record(context, { status: 204, body: null }, now),
      )
      if (result.kind === 'replay' && context) {
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      }
      if (result.kind === 'done' && !result.value) {
        throw new NotFoundProblem(`Webhook ${request.params.id} does not exist`)
      }
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/:id/deliveries',
    {
      config: { scope: 'webhooks:manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'List recent delivery attempts of a webhook',
        operationId: 'listWebhookDeliveries',
        description:
          'Newest first. Each attempt of each message is one entry: `retrying` (another attempt follows), ' +
          '`succeeded` (a 2xx answer) or `failed` (the last attempt of the retry schedule).',
        params: IdParams,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryListSchema, ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const webhook = await app.store.getWebhook(calendarId, request.params.id)
      if (!webhook) throw new NotFoundProblem(`Webhook ${request.params.id} does not exist`)
      const deliveries = await app.store.listDeliveries(calendarId, webhook.id, request.query.limit ?? 50)
      return { items: deliveries.map(toDeliveryResource) }
    },
  )
}

export default webhookRoutes
