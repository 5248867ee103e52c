import type { DeliveryRecord, IdempotentResult, WebhookPort, WebhookRecord } from '../port.js'
import { inTransaction } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import { claimIdempotency, deleteIdempotently } from './postgres-idempotency.js'
import {
  DELIVERIES,
  type DeliveryRow,
  deliveryFromRow,
  deliveryToRow,
  insertRows,
  type MessageRow,
  messageFromRow,
  placeholders,
  toTimestamp,
  updatesExcept,
  valuesOf,
  WEBHOOKS,
  type WebhookRow,
  webhookFromRow,
  webhookToRow,
} from './rows.js'

const DELIVERY_UPDATES = updatesExcept(DELIVERIES, ['id'])

/** The webhooks aggregate on PostgreSQL: tables `webhooks`, `outbox_messages`, `webhook_deliveries`. */
export function makePostgresWebhooks(context: PostgresContext): WebhookPort {
  const { pool, query } = context
  return {
    async createWebhook(webhook, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<WebhookRecord>> => {
        const replay = await claimIdempotency(client, webhook.calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        await insertRows(client, WEBHOOKS, [webhookToRow(webhook)])
        return { kind: 'done', value: webhook }
      })
    },

    async listWebhooks(calendarId) {
      const rows = await query<WebhookRow>(
        'SELECT * FROM webhooks WHERE calendar_id = $1 ORDER BY created_at, id',
        [calendarId],
      )
      return rows.map(webhookFromRow)
    },

    async getWebhook(calendarId, id) {
      const rows = await query<WebhookRow>('SELECT * FROM webhooks WHERE calendar_id = $1 AND id = $2', [
        calendarId,
        id,
      ])
      return rows[0] === undefined ? null : webhookFromRow(rows[0])
    },

    async deleteWebhook(calendarId, id, idempotency) {
      return deleteIdempotently(pool, calendarId, idempotency, async (client) => {
        const deleted = await client.query(
          'DELETE FROM webhooks WHERE calendar_id = $1 AND id = $2 RETURNING id',
          [calendarId, id],
        )
        return deleted.rows.length > 0
      })
    },

    async undispatchedMessages(limit) {
      const rows = await query<MessageRow>(
        `SELECT * FROM outbox_messages WHERE dispatched_at IS NULL
         ORDER BY created_at, position LIMIT $1`,
        [limit],
      )
      return rows.map(messageFromRow)
    },

    async markDispatched(messageIds, at) {
      if (messageIds.length === 0) return
      await query(
        `UPDATE outbox_messages SET dispatched_at = $2
         WHERE id = ANY($1::text[]) AND dispatched_at IS NULL`,
        [messageIds, toTimestamp(at)],
      )
    },

    async getMessage(id) {
      const rows = await query<MessageRow>('SELECT * FROM outbox_messages WHERE id = $1', [id])
      return rows[0] === undefined ? null : messageFromRow(rows[0])
    },

    async recordDelivery(delivery: DeliveryRecord) {
      await query(
        `INSERT INTO webhook_deliveries (${DELIVERIES.columns.join(', ')})
         VALUES (${placeholders(DELIVERIES.columns.length)})
         ON CONFLICT (id) DO UPDATE SET ${DELIVERY_UPDATES}`,
        valuesOf(DELIVERIES, deliveryToRow(delivery)),
      )
    },

    async listDeliveries(calendarId, webhookId, limit) {
      const rows = await query<DeliveryRow>(
        `SELECT * FROM webhook_deliveries WHERE calendar_id = $1 AND webhook_id = $2
         ORDER BY at DESC, position DESC LIMIT $3`,
        [calendarId, webhookId, limit],
      )
      return rows.map(deliveryFromRow)
    },
  }
}
