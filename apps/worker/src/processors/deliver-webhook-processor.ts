import { type Instant, newId } from '@scheduler/core'
import type { DeliveryJobData } from '@scheduler/jobs'
import type { DeliveryRecord, Store } from '@scheduler/store'
import {
  deliverWebhook,
  type HostResolver,
  type WebhookRetryPolicy,
  webhookHeaders,
} from '@scheduler/webhooks'
import { type Job, UnrecoverableError, type WorkerOptions } from 'bullmq'
import type { Logger } from 'pino'

export type DeliveryStore = Pick<Store, 'getWebhook' | 'getMessage' | 'recordDelivery'>

export interface DeliverWebhookDependencies {
  store: DeliveryStore
  /** The attempt count when a job does not say (WEBHOOK_RETRY_SCHEDULE's policy). */
  retryPolicy: Pick<WebhookRetryPolicy, 'attempts'>
  /** WEBHOOK_TIMEOUT_MS: one attempt's limit. */
  timeoutMs: number
  /** WEBHOOK_ALLOW_LOOPBACK */
  allowLoopback: boolean
  /** How receivers' host names are resolved before the connect-time check (default: the system's). */
  resolve?: HostResolver
  logger: Pick<Logger, 'info' | 'warn'>
  clock?: () => Instant
  /** Called with every recorded attempt (metrics). */
  onAttempt?: (delivery: DeliveryRecord) => void
}

/** Thrown for an attempt that failed and will be retried (or was the last): BullMQ schedules the retry. */
export class DeliveryFailedError extends Error {
  override name = 'DeliveryFailedError'
}

/**
 * The delivery worker's processor: one attempt to send one outbox message to one webhook, following the
 * Standard Webhooks specification. The `webhook-id` is the message id on every attempt, the timestamp and
 * signature are fresh. Every attempt is recorded with its reason (DELIVERY_REASONS); a failed attempt
 * throws so that BullMQ retries it on the WEBHOOK_RETRY_SCHEDULE (see `deliveryWorkerOptions`), and the last
 * one is recorded as `failed`. A permanent refusal (the SSRF guard refused the URL or the address it
 * resolved to) is recorded `failed` at its first attempt and throws BullMQ's `UnrecoverableError`, so it is
 * not retried.
 */
export function createDeliverWebhookProcessor(deps: DeliverWebhookDependencies) {
  const { store, timeoutMs, allowLoopback, logger } = deps
  const clock = deps.clock ?? Date.now

  return async function deliverWebhookJob(job: Job<DeliveryJobData>): Promise<void> {
    const { calendarId, messageId, webhookId } = job.data
    const webhook = await store.getWebhook(calendarId, webhookId)
    if (!webhook) {
      logger.info({ webhookId, messageId }, 'webhook deleted: delivery dropped')
      return
    }
    const message = await store.getMessage(messageId)
    if (!message) {
      logger.warn({ webhookId, messageId }, 'outbox message gone: delivery dropped')
      return
    }

    // The body is the same on every attempt; only the signing timestamp changes.
    const body = JSON.stringify({
      type: message.type,
      timestamp: new Date(message.createdAt).toISOString(),
      data: message.data,
    })
    const sentAt = clock()
    const headers = webhookHeaders({
      id: message.id,
      timestamp: Math.floor(sentAt / 1000),
      body,
      secret: webhook.secret,
    })
    const result = await deliverWebhook({
      url: webhook.url,
      headers,
      body,
      timeoutMs,
      allowLoopback,
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    })

    const attempt = job.attemptsMade + 1
    const attempts = job.opts.attempts ?? deps.retryPolicy.attempts
    const delivery: DeliveryRecord = {
      id: newId('dlv'),
      calendarId,
      webhookId,
      messageId,
      type: message.type,
      eventId: message.eventId,
      attempt,
      status: result.ok ? 'succeeded' : result.permanent || attempt >= attempts ? 'failed' : 'retrying',
      responseStatus: result.status,
      error: result.error,
      at: sentAt,
    }
    await store.recordDelivery(delivery)
    deps.onAttempt?.(delivery)
    if (!result.ok) {
      logger.warn(
        { webhookId, messageId, attempt, status: delivery.status, error: result.error },
        'webhook delivery failed',
      )
      if (result.permanent) {
        throw new UnrecoverableError(`Delivery refused for good: ${result.error ?? 'unknown error'}`)
      }
      throw new DeliveryFailedError(`Delivery attempt ${attempt} failed: ${result.error ?? 'unknown error'}`)
    }
  }
}

/**
 * The delivery Worker's settings: retries wait as the retry policy says (the backoff type
 * `webhook-schedule` that `enqueueDelivery` sets). Spread into the Worker's options.
 */
export function deliveryWorkerOptions(
  retryPolicy: Pick<WebhookRetryPolicy, 'delay'>,
): Pick<WorkerOptions, 'settings'> {
  return {
    settings: { backoffStrategy: (attemptsMade: number) => retryPolicy.delay(attemptsMade) },
  }
}
