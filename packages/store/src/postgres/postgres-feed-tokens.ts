import type pg from 'pg'
import type {
  FeedTokenRecord,
  FeedTokenStore,
  IdempotencyRecord,
  IdempotencyWrite,
  IdempotentResult,
} from '../port.js'
import { inTransaction, type Queryable } from './connection.js'
import { toTimestamp } from './rows.js'

export interface FeedTokenRow {
  calendar_id: string
  id: string
  label: string | null
  token_hash: string
  created_at: Date
}

export function feedTokenToRecord(row: FeedTokenRow): FeedTokenRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    label: row.label,
    tokenHash: row.token_hash,
    createdAt: row.created_at.getTime(),
  }
}

export function feedTokenFromRecord(token: FeedTokenRecord): unknown[] {
  return [token.calendarId, token.id, token.label, token.tokenHash, toTimestamp(token.createdAt)]
}

/** What the feed-token methods borrow from the store they are part of. */
export interface PostgresFeedTokenDeps {
  pool: pg.Pool
  query: <R extends pg.QueryResultRow>(text: string, params?: unknown[]) => Promise<R[]>
  claimIdempotency: (
    client: Queryable,
    calendarId: string,
    write: IdempotencyWrite | undefined,
  ) => Promise<IdempotencyRecord | null>
  deleteIdempotently: (
    pool: pg.Pool,
    calendarId: string,
    write: IdempotencyWrite | undefined,
    remove: (client: Queryable) => Promise<boolean>,
  ) => Promise<IdempotentResult<boolean>>
}

/** The feed-token aggregate on PostgreSQL: table `feed_tokens` (migration 3). */
export function makePostgresFeedTokens(deps: PostgresFeedTokenDeps): FeedTokenStore {
  const { pool, query, claimIdempotency, deleteIdempotently } = deps
  return {
    async createFeedToken(token, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<FeedTokenRecord>> => {
        const replay = await claimIdempotency(client, token.calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        await client.query(
          `INSERT INTO feed_tokens (calendar_id, id, label, token_hash, created_at)
           VALUES ($1, $2, $3, $4, $5)`,
          feedTokenFromRecord(token),
        )
        return { kind: 'done', value: token }
      })
    },

    async listFeedTokens(calendarId) {
      const rows = await query<FeedTokenRow>(
        'SELECT * FROM feed_tokens WHERE calendar_id = $1 ORDER BY created_at, id',
        [calendarId],
      )
      return rows.map(feedTokenToRecord)
    },

    async findFeedTokenByHash(tokenHash) {
      const rows = await query<FeedTokenRow>('SELECT * FROM feed_tokens WHERE token_hash = $1', [tokenHash])
      return rows[0] === undefined ? null : feedTokenToRecord(rows[0])
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
