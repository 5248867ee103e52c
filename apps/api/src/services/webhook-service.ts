import { CALENDAR_ID_DEFAULT, type IdPrefix, type Instant, type WebhookEventType } from '@scheduler/core'
import type { DeliveryRecord, Store, WebhookRecord } from '@scheduler/store'
import { type AddressPolicy, checkWebhookUrl, generateWebhookSecret } from '@scheduler/webhooks'
import { MalformedInputError, NotFoundError } from './domain-errors.js'
import {
  type Idempotent,
  type IdempotentRequest,
  type IdempotentWrites,
  mapDone,
} from './idempotency-service.js'

export interface WebhookServiceDeps {
  store: Pick<Store, 'createWebhook' | 'listWebhooks' | 'getWebhook' | 'deleteWebhook' | 'listDeliveries'>
  writes: IdempotentWrites
  clock: () => Instant
  mintId: (prefix: IdPrefix) => string
  /** Which addresses a webhook URL may name (loopback only for local development). */
  addressPolicy: AddressPolicy
}

/** A webhook to register. */
export interface WebhookInput {
  url: string
  /** Default `['event.failed']`; repeated types count once. */
  events?: WebhookEventType[]
  description: string | null
}

const calendarId = CALENDAR_ID_DEFAULT
const DEFAULT_EVENTS: WebhookEventType[] = ['event.failed']

/**
 * Failure callbacks: receivers of Standard Webhooks deliveries. URLs are checked here (https, public
 * addresses only, in every spelling: else `MalformedInputError` at `/url`) and again, after DNS resolution,
 * at every delivery. An unknown webhook is `NotFoundError`.
 */
export function makeWebhookService(deps: WebhookServiceDeps) {
  const { store, writes } = deps

  async function existing(id: string): Promise<WebhookRecord> {
    const webhook = await store.getWebhook(calendarId, id)
    if (!webhook) throw new NotFoundError(`Webhook ${id} does not exist`)
    return webhook
  }

  return {
    /** Registers a webhook with a new signing secret (kept with it, shown once by the caller). */
    async create(
      input: WebhookInput,
      request: IdempotentRequest<WebhookRecord> | null,
    ): Promise<Idempotent<WebhookRecord>> {
      const check = checkWebhookUrl(input.url, deps.addressPolicy)
      if (!check.ok) throw MalformedInputError.at('/url', check.reason)
      const now = deps.clock()
      return writes.run(request, now, async (record) => {
        const webhook: WebhookRecord = {
          id: deps.mintId('whk'),
          calendarId,
          url: input.url,
          events: [...new Set(input.events ?? DEFAULT_EVENTS)],
          description: input.description,
          secret: generateWebhookSecret(),
          createdAt: now,
        }
        return mapDone(await store.createWebhook(webhook, record(webhook)), () => webhook)
      })
    },

    /** Every webhook, oldest first. */
    list(): Promise<WebhookRecord[]> {
      return store.listWebhooks(calendarId)
    },

    get: existing,

    /** Deletes a webhook (its undelivered messages are dropped); an unknown one records no key. */
    async remove(id: string, request: IdempotentRequest<void> | null): Promise<Idempotent<void>> {
      return writes.run(request, deps.clock(), async (record) => {
        const result = await store.deleteWebhook(calendarId, id, record())
        if (result.kind === 'done' && !result.value) throw new NotFoundError(`Webhook ${id} does not exist`)
        return mapDone(result, () => undefined)
      })
    },

    /** The webhook's latest delivery attempts, newest first, at most `limit`. */
    async deliveries(id: string, limit: number): Promise<DeliveryRecord[]> {
      const webhook = await existing(id)
      return store.listDeliveries(calendarId, webhook.id, limit)
    },
  }
}

export type WebhookService = ReturnType<typeof makeWebhookService>
