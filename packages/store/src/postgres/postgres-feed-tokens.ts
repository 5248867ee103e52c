import type { FeedTokenPort, FeedTokenRecord, IdempotentResult } from '../port.js'
import { inTransaction } from './connection.js'
import type { PostgresContext } from './postgres-context.js'
import { claimIdempotency, deleteIdempotently } from './postgres-idempotency.js'
import { insertRows, type RowOf, table, toTimestamp } from './rows.js'

export interface FeedTokenRow {
  calendar_id: string
  id: string
  label: string | null
  token_hash: string
  created_at: Date
}

/** The feed_tokens table: every column of `FeedTokenRow`, written by name. */
export const FEED_TOKENS = table<FeedTokenRow>('feed_tokens', {
  calendar_id: true,
  id: true,
  label: true,
  token_hash: true,
  created_at: true,
})

export function feedTokenFromRow(row: FeedTokenRow): FeedTokenRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    label: row.label,
    tokenHash: row.token_hash,
    createdAt: row.created_at.getTime(),
  }
}

export function feedTokenToRow(token: FeedTokenRecord): RowOf<typeof FEED_TOKENS> {
  return {
    calendar_id: token.calendarId,
    id: token.id,
    label: token.label,
    token_hash: token.tokenHash,
    created_at: toTimestamp(token.createdAt),
  }
}

/** The feed-token aggregate on PostgreSQL: table `feed_tokens` (migration 3). */
export function makePostgresFeedTokens(context: PostgresContext): FeedTokenPort {
  const { pool, query } = context
  return {
    async createFeedToken(token, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<FeedTokenRecord>> => {
        const replay = await claimIdempotency(client, token.calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        await insertRows(client, FEED_TOKENS, [feedTokenToRow(token)])
        return { kind: 'done', value: token }
      })
    },

    async listFeedTokens(calendarId) {
      const rows = await query<FeedTokenRow>(
        'SELECT * FROM feed_tokens WHERE calendar_id = $1 ORDER BY created_at, id',
        [calendarId],
      )
      return rows.map(feedTokenFromRow)
    },

    async findFeedTokenByHash(tokenHash) {
      const rows = await query<FeedTokenRow>('SELECT * FROM feed_tokens WHERE token_hash = $1', [tokenHash])
      return rows[0] === undefined ? null : feedTokenFromRow(rows[0])
    },

    async deleteFeedToken(calendarId, id, idempotency) {
      return deleteIdempotently(pool, calendarId, idempotency, async (client) => {
        const deleted = await client.query(
          'DELETE FROM feed_tokens WHERE calendar_id = $1 AND id = $2 RETURNING id',
          [calendarId, id],
        )
        return deleted.rows.length > 0
      })
    },
  }
}
