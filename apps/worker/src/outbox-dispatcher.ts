import type { Instant } from '@scheduler/core'
import { type DeliveryQueue, enqueueDelivery } from '@scheduler/jobs'
import type { OutboxMessage, Store, WebhookRecord } from '@scheduler/store'
import type { Logger } from 'pino'

export type OutboxStore = Pick<Store, 'undispatchedMessages' | 'listWebhooks' | 'markDispatched'>

export interface OutboxDispatcherOptions {
  store: OutboxStore
  deliveryQueue: DeliveryQueue
  /** Attempts per delivery: the webhook retry policy's `attempts`. */
  attempts: number
  logger: Pick<Logger, 'debug' | 'warn'>
  /** How often the outbox is polled when nobody wakes the dispatcher. */
  intervalMs: number
  /** Messages read per store query. */
  batchSize?: number
  clock?: () => Instant
}

export interface OutboxDispatcher {
  start(): void
  /** Stops polling and waits for a pass in progress. */
  stop(): Promise<void>
  /** Runs a pass now instead of at the next tick (after the placement worker applied a plan). */
  wake(): void
  /** One pass over the outbox: answers how many messages were handed to the delivery queue. */
  dispatchOnce(): Promise<number>
}

/**
 * Moves outbox messages (written in the same transaction as the change they report) onto the delivery
 * queue: one delivery job per message and subscribed webhook, then marks the messages dispatched. A crash
 * between the two re-dispatches the message on the next pass; the delivery job id is stable, so BullMQ
 * adds nothing twice while it remembers the job.
 */
export function createOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const { store, deliveryQueue, attempts, logger, intervalMs } = options
  const batchSize = options.batchSize ?? 100
  const clock = options.clock ?? Date.now

  let running = false
  let timer: NodeJS.Timeout | null = null
  let passing = false
  let wokenDuringPass = false
  // Passes never overlap: each one starts after the previous one settled.
  let chain: Promise<unknown> = Promise.resolve()

  async function dispatchBatch(messages: OutboxMessage[]): Promise<void> {
    const webhooksByCalendar = new Map<string, WebhookRecord[]>()
    const dispatched: string[] = []
    try {
      for (const message of messages) {
        let webhooks = webhooksByCalendar.get(message.calendarId)
        if (!webhooks) {
          webhooks = await store.listWebhooks(message.calendarId)
          webhooksByCalendar.set(message.calendarId, webhooks)
        }
        for (const webhook of webhooks) {
          if (!webhook.events.includes(message.type)) continue
          await enqueueDelivery(
            deliveryQueue,
            { calendarId: message.calendarId, messageId: message.id, webhookId: webhook.id },
            attempts,
          )
        }
        dispatched.push(message.id)
      }
    } finally {
      // What was enqueued is marked even when a later message failed, so it is not dispatched again.
      if (dispatched.length > 0) await store.markDispatched(dispatched, clock())
    }
  }

  async function pass(): Promise<number> {
    let total = 0
    for (;;) {
      const messages = await store.undispatchedMessages(batchSize)
      if (messages.length === 0) break
      await dispatchBatch(messages)
      total += messages.length
      if (messages.length < batchSize) break
    }
    if (total > 0) logger.debug({ messages: total }, 'outbox messages dispatched')
    return total
  }

  function dispatchOnce(): Promise<number> {
    const next = chain.then(pass)
    chain = next.catch(() => {})
    return next
  }

  function schedule(delayMs: number): void {
    if (!running) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(tick, delayMs)
  }

  async function tick(): Promise<void> {
    timer = null
    passing = true
    wokenDuringPass = false
    try {
      await dispatchOnce()
    } catch (error) {
      logger.warn({ err: error }, 'outbox dispatch failed; retrying at the next tick')
    } finally {
      passing = false
    }
    schedule(wokenDuringPass ? 0 : intervalMs)
  }

  return {
    start() {
      if (running) return
      running = true
      schedule(0)
    },
    async stop() {
      running = false
      if (timer) clearTimeout(timer)
      timer = null
      await chain
    },
    wake() {
      if (!running) return
      if (passing) wokenDuringPass = true
      else schedule(0)
    },
    dispatchOnce,
  }
}
