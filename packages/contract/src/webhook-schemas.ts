import { WEBHOOK_EVENT_TYPES } from '@scheduler/core'
import { type Static, Type } from '@sinclair/typebox'
import { dateTime, nullable } from './common-schemas.js'

const WebhookEventType = Type.Union(WEBHOOK_EVENT_TYPES.map((type) => Type.Literal(type)))

const webhookFields = {
  id: Type.String({ description: 'Opaque, prefixed `whk_`' }),
  url: Type.String({ format: 'uri' }),
  events: Type.Array(WebhookEventType),
  description: nullable(Type.String()),
  createdAt: dateTime(),
}

export const WebhookSchema = Type.Object(webhookFields, {
  $id: 'Webhook',
  additionalProperties: false,
  description: 'A registered receiver of event callbacks (its secret is shown only when it is created).',
})
export type WebhookResource = Static<typeof WebhookSchema>

export const WebhookCreatedSchema = Type.Object(
  {
    ...webhookFields,
    secret: Type.String({
      description: '`whsec_` + base64 of the HMAC key; shown only in this answer',
    }),
  },
  { $id: 'WebhookCreated', additionalProperties: false },
)
export type WebhookCreatedResource = Static<typeof WebhookCreatedSchema>

export const DeliverySchema = Type.Object(
  {
    id: Type.String(),
    messageId: Type.String({ description: 'The `webhook-id` header, the same on every retry' }),
    type: WebhookEventType,
    eventId: Type.String(),
    attempt: Type.Integer({ minimum: 1 }),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('retrying')]),
    responseStatus: nullable(Type.Integer()),
    error: nullable(Type.String()),
    at: dateTime(),
  },
  { $id: 'Delivery', additionalProperties: false, description: 'One delivery attempt of one message.' },
)
export type DeliveryResource = Static<typeof DeliverySchema>

export const WebhookCreateRequestSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2048, description: '`https` (public addresses only)' }),
    events: Type.Optional(
      Type.Array(WebhookEventType, { minItems: 1, uniqueItems: true, default: ['event.failed'] }),
    ),
    description: Type.Optional(nullable(Type.String({ maxLength: 500 }))),
  },
  { $id: 'WebhookCreateRequest', additionalProperties: false },
)
export type WebhookCreateRequest = Static<typeof WebhookCreateRequestSchema>
