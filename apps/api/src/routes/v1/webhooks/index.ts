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
import type { WebhookRecord } from '@scheduler/store'
import { Type } from '@sinclair/typebox'
import { type AnswerSpec, NO_CONTENT } from '../../../plugins/app/idempotency.js'
import { ChangeHeaders, IdParams, problemResponses } from '../../route-schemas.js'

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

/** 201 with the secret, shown only here; `Location` names the webhook (not repeated in a replay). */
const CREATED_ANSWER: AnswerSpec<WebhookRecord> = {
  present: (webhook) => ({
    status: 201,
    body: toWebhookCreatedResource(webhook),
    headers: { location: `/v1/webhooks/${encodeURIComponent(webhook.id)}` },
  }),
  record: (webhook) => ({ status: 201, body: toWebhookCreatedResource(webhook) }),
}

/**
 * Failure callbacks: receivers of Standard Webhooks deliveries. URLs are checked here (https, public
 * addresses only, in every spelling) and again, after DNS resolution, at every delivery.
 */
const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks } = app.services

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
      const input = {
        url: body.url,
        ...(body.events === undefined ? {} : { events: body.events }),
        description: body.description ?? null,
      }
      return app.idempotency.write(request, reply, CREATED_ANSWER, (key) => webhooks.create(input, key()))
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
    async () => ({ items: (await webhooks.list()).map(toWebhookResource) }),
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
    async (request) => toWebhookResource(await webhooks.get(request.params.id)),
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
    async (request, reply) =>
      app.idempotency.write(request, reply, NO_CONTENT, (key) => webhooks.remove(request.params.id, key())),
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
      const deliveries = await webhooks.deliveries(request.params.id, request.query.limit ?? 50)
      return { items: deliveries.map(toDeliveryResource) }
    },
  )
}

export default webhookRoutes
