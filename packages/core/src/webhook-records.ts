import type { Instant, WebhookEventType } from './types.js'

/** A calendar's webhook subscription: where, and for which event types, notifications are delivered. */
export interface WebhookRecord {
  /** `whk_…` */
  id: string
  calendarId: string
  url: string
  events: WebhookEventType[]
  description: string | null
  /** `whsec_` + base64 of the key bytes. */
  secret: string
  createdAt: Instant
}

/**
 * A notification waiting in the outbox: written in the same transaction as the change it tells of, then
 * handed to the delivery queue once per webhook subscribed to its type.
 */
export interface OutboxMessage {
  /** `msg_…`: also the Standard Webhooks `webhook-id`, stable across retries. */
  id: string
  calendarId: string
  type: WebhookEventType
  eventId: string
  /** The JSON `data` object sent to receivers. */
  data: unknown
  createdAt: Instant
  dispatchedAt: Instant | null
}

/** One attempt to deliver one outbox message to one webhook. */
export interface DeliveryRecord {
  /** `dlv_…` */
  id: string
  calendarId: string
  webhookId: string
  messageId: string
  type: WebhookEventType
  eventId: string
  /** 1 for the first try. */
  attempt: number
  status: 'succeeded' | 'failed' | 'retrying'
  responseStatus: number | null
  /** Why the attempt failed: a code of @scheduler/webhooks' DELIVERY_REASONS, optionally `: ` and short words. */
  error: string | null
  at: Instant
}
