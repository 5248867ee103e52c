import type { WebhookPort } from '../port.js'
import { atMost, type MongoContext } from './mongo-context.js'
import {
  deliveryFromDocument,
  deliveryToDocument,
  messageFromDocument,
  recordKey,
  toDate,
  webhookFromDocument,
  webhookToDocument,
} from './mongo-documents.js'
import { deletedOf, type IdempotentWrites } from './mongo-idempotency.js'

/** The webhooks aggregate on MongoDB: collections `webhooks`, `outbox`, `webhook_deliveries`. */
export function makeMongoWebhooks(context: MongoContext & IdempotentWrites): WebhookPort {
  const { guarded, idempotently, deleteIdempotently } = context
  const { webhooks, outbox, deliveries } = context.collections
  return {
    createWebhook: (webhook, write) =>
      guarded(() =>
        idempotently(webhook.calendarId, write, async (session) => {
          await webhooks.insertOne(webhookToDocument(webhook), { session })
          return webhook
        }),
      ),

    listWebhooks: (calendarId) =>
      guarded(async () => {
        const documents = await webhooks.find({ calendarId }).sort({ createdAt: 1, _id: 1 }).toArray()
        return documents.map(webhookFromDocument)
      }),

    getWebhook: (calendarId, id) =>
      guarded(async () => {
        const document = await webhooks.findOne({ _id: recordKey(calendarId, id) })
        return document === null ? null : webhookFromDocument(document)
      }),

    deleteWebhook: (calendarId, id, write) =>
      guarded(async () => {
        const result = await deleteIdempotently(calendarId, write, async (session) => {
          const deleted = await webhooks.deleteOne({ _id: recordKey(calendarId, id) }, { session })
          return deleted.deletedCount > 0 ? id : null
        })
        return deletedOf(result)
      }),

    undispatchedMessages: (limit) =>
      guarded(async () => {
        const count = atMost(limit)
        if (count === 0) return []
        const documents = await outbox
          .find({ dispatchedAt: null })
          .sort({ createdAt: 1, position: 1 })
          .limit(count)
          .toArray()
        return documents.map(messageFromDocument)
      }),

    markDispatched: (messageIds, at) =>
      guarded(async () => {
        if (messageIds.length === 0) return
        // The first dispatch time stands.
        await outbox.updateMany(
          { _id: { $in: messageIds }, dispatchedAt: null },
          { $set: { dispatchedAt: toDate(at) } },
        )
      }),

    getMessage: (id) =>
      guarded(async () => {
        const document = await outbox.findOne({ _id: id })
        return document === null ? null : messageFromDocument(document)
      }),

    recordDelivery: (delivery) =>
      guarded(async () => {
        // By id, so a deliverer that records the same attempt twice (after a crash) keeps one record, in
        // its first position.
        const { _id, position, ...fields } = deliveryToDocument(delivery)
        await deliveries.updateOne({ _id }, { $set: fields, $setOnInsert: { position } }, { upsert: true })
      }),

    listDeliveries: (calendarId, webhookId, limit) =>
      guarded(async () => {
        const count = atMost(limit)
        if (count === 0) return []
        const documents = await deliveries
          .find({ calendarId, webhookId })
          .sort({ at: -1, position: -1 })
          .limit(count)
          .toArray()
        return documents.map(deliveryFromDocument)
      }),
  }
}
