import { checkAttachment } from '../attachment-checks.js'
import {
  type AttachmentPort,
  type AttachmentRecord,
  EventNotFoundError,
  type IdempotentResult,
} from '../port.js'
import { errorCode, inTransaction } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import { claimIdempotency, deleteIdempotently } from './postgres-idempotency.js'
import {
  ATTACHMENT_COLUMNS,
  ATTACHMENTS,
  type AttachmentRow,
  attachmentFromRow,
  attachmentToRow,
  insertRows,
} from './rows.js'

const FOREIGN_KEY_VIOLATION = '23503'

/** The attachments aggregate on PostgreSQL: table `attachments` (the bytes in the row; deleted with their event). */
export function makePostgresAttachments(context: PostgresContext): AttachmentPort {
  const { pool, query } = context
  return {
    async putAttachment(meta, bytes, idempotency) {
      checkAttachment(meta, bytes)
      try {
        return await inTransaction(pool, async (client): Promise<IdempotentResult<AttachmentRecord>> => {
          const replay = await claimIdempotency(client, meta.calendarId, idempotency)
          if (replay !== null) return { kind: 'replay', record: replay }
          await insertRows(client, ATTACHMENTS, [attachmentToRow(meta, bytes)])
          return { kind: 'done', value: meta }
        })
      } catch (error) {
        // attachments_event_fk: the event does not exist (or its deletion committed first).
        if (errorCode(error) === FOREIGN_KEY_VIOLATION) {
          throw new EventNotFoundError(
            `Event ${meta.eventId} does not exist in calendar ${meta.calendarId}`,
            {
              cause: error,
            },
          )
        }
        throw error
      }
    },

    async listAttachments(calendarId, eventId) {
      const rows = await query<AttachmentRow>(
        `SELECT ${ATTACHMENT_COLUMNS.join(', ')} FROM attachments
         WHERE calendar_id = $1 AND event_id = $2 ORDER BY created_at, id`,
        [calendarId, eventId],
      )
      return rows.map(attachmentFromRow)
    },

    async getAttachment(calendarId, eventId, id) {
      const rows = await query<AttachmentRow & { content: Buffer }>(
        `SELECT ${ATTACHMENT_COLUMNS.join(', ')}, content FROM attachments
         WHERE calendar_id = $1 AND event_id = $2 AND id = $3`,
        [calendarId, eventId, id],
      )
      const row = rows[0]
      return row === undefined ? null : { meta: attachmentFromRow(row), bytes: row.content }
    },

    async deleteAttachment(calendarId, eventId, id, idempotency) {
      return deleteIdempotently(pool, calendarId, idempotency, async (client) => {
        const deleted = await client.query(
          'DELETE FROM attachments WHERE calendar_id = $1 AND event_id = $2 AND id = $3 RETURNING id',
          [calendarId, eventId, id],
        )
        return deleted.rows.length > 0
      })
    },
  }
}
