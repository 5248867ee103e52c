import { createHmac } from 'node:crypto'
import { secretKeyBytes } from './webhook-secret.js'

export interface SignatureInput {
  /** The message id (`webhook-id`), the same on every retry of one message. */
  id: string
  /** Unix seconds (`webhook-timestamp`), fresh on every attempt. */
  timestamp: number
  /** The exact body bytes that are sent, as a string. */
  body: string
  /** `whsec_…` */
  secret: string
}

/** The Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
export function signWebhook({ id, timestamp, body, secret }: SignatureInput): string {
  const mac = createHmac('sha256', secretKeyBytes(secret))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64')
  return `v1,${mac}`
}

export interface WebhookHeaders {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
  'content-type': string
  [name: string]: string
}

/** The headers of one delivery attempt, signed over exactly `body`. */
export function webhookHeaders(input: SignatureInput): WebhookHeaders {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signWebhook(input),
    'content-type': 'application/json',
  }
}
