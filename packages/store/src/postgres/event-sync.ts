import type { EventRecord, EventStatus, Instant } from '@scheduler/core'
import type pg from 'pg'
import { type CursorKeys, cursorKeysOf, decodeListCursor, encodeListCursor } from '../cursor.js'
import {
  type EventChange,
  type EventChangePage,
  type EventListQuery,
  type EventPage,
  type EventSyncQuery,
  InvalidCursorError,
  SyncTokenExpiredError,
} from '../port.js'
import { decodeSyncCursor, decodeSyncToken, encodeSyncCursor, encodeSyncToken } from '../sync-token.js'
import { inTransaction, mapError } from './connection.js'
import { type EventRow, eventFromRow, toTimestamp } from './rows.js'

// How reads know what they have seen. Every write to `events` leaves a row in `event_changes` with its
// transaction's id (migration 3's trigger). A `pg_snapshot` ("xmin:xmax:xip,…") says exactly which
// transactions had committed when it was taken: `pg_visible_in_snapshot(xid, s)`. A listing remembers the
// snapshot of its first page, a sync token is the snapshot of the read that issued it, and "changed since"
// means "has a change row whose transaction the snapshot did not see" — a transaction that began before the
// token and commits after it is exactly such a one, so late commits are never missed, whatever the clocks.

const SNAPSHOT_FORMAT = /^(\d{1,20}):(\d{1,20}):(\d{1,20}(?:,\d{1,20})*)?$/
const MAX_SNAPSHOT_LENGTH = 4096

/** The change-log state a read needs, in the read's own snapshot. */
interface Horizon {
  epoch: string
  snapshot: string
}

/**
 * Runs `work` in a read-only REPEATABLE READ transaction: one snapshot for every statement, and
 * `pg_current_snapshot()` is that snapshot.
 */
async function inSnapshot<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  // The transaction's mode in its BEGIN: one round trip fewer than a SET TRANSACTION after it
  return inTransaction(pool, work, 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY')
}

/** Whether `text` is a snapshot PostgreSQL accepts (the rules of its `pg_snapshot` input function). */
function isSnapshot(text: string): boolean {
  if (text.length > MAX_SNAPSHOT_LENGTH) return false
  const match = SNAPSHOT_FORMAT.exec(text)
  if (match === null) return false
  const xmin = BigInt(match[1] ?? '0')
  const xmax = BigInt(match[2] ?? '0')
  if (xmin === 0n || xmax === 0n || xmin > xmax) return false
  let last = xmin
  for (const xip of (match[3] ?? '').split(',').filter((x) => x !== '')) {
    const value = BigInt(xip)
    if (value < last || value >= xmax) return false
    last = value
  }
  return true
}

/** The horizon in the reading statement's snapshot: one row, read alone or joined to a first page. */
const HORIZON_SQL = 'SELECT epoch, pg_current_snapshot()::text AS snapshot FROM event_change_horizon'

function missingHorizon(): Error {
  return new Error('The change log has no horizon row (migration 3 missing)')
}

async function readHorizon(client: pg.PoolClient): Promise<Horizon> {
  const result = await client.query<{ epoch: string; snapshot: string }>(HORIZON_SQL)
  const row = result.rows[0]
  if (row === undefined) throw missingHorizon()
  return row
}

/**
 * Whether the change log still answers everything after `since`: it is a snapshot of this database's past
 * (not beyond the current one) that saw every purged change — either each purged transaction had finished
 * before its oldest running one, or it saw everything the last purge saw.
 */
async function isAnswerable(client: pg.PoolClient, since: string): Promise<boolean> {
  if (!isSnapshot(since)) return false
  const result = await client.query<{ answerable: boolean }>(
    `SELECT pg_snapshot_xmax($1::pg_snapshot) <= pg_snapshot_xmax(pg_current_snapshot())
        AND (pg_snapshot_xmin($1::pg_snapshot) > purged_through
          OR (pg_snapshot_xmax($1::pg_snapshot) >= pg_snapshot_xmax(purge_snapshot)
            AND NOT EXISTS (
              SELECT 1 FROM pg_snapshot_xip($1::pg_snapshot) AS running(xid)
              WHERE running.xid < pg_snapshot_xmax(purge_snapshot)
                AND running.xid NOT IN (SELECT pg_snapshot_xip(purge_snapshot))))) AS answerable
     FROM event_change_horizon`,
    [since],
  )
  return result.rows[0]?.answerable === true
}

/** One page of a listing: sort keys first, then the matching events changed since the listing began. */
export async function listEventsPage(
  pool: pg.Pool,
  calendarId: string,
  q: EventListQuery,
): Promise<EventPage> {
  const cursor = q.cursor === undefined ? undefined : decodeListCursor(q.cursor, q.order)
  const limit = Math.max(1, Math.floor(q.limit))
  if (cursor === undefined) return firstListPage(pool, calendarId, q, limit)
  return inSnapshot(pool, async (client) => {
    const horizon = await readHorizon(client)
    if (!isSnapshot(cursor.since)) throw new InvalidCursorError('The cursor is malformed')
    if (!(await isAnswerable(client, cursor.since))) {
      throw new SyncTokenExpiredError('The listing began before the change history kept; list again')
    }
    const since = cursor.since
    const items: EventRecord[] = []
    let afterId: string | null = null
    // The changes phase answers the changes up to the snapshot it began in; later ones go to the next sync.
    const until = cursor.phase === 'changes' ? cursor.until : horizon.snapshot
    if (!isSnapshot(until)) throw new InvalidCursorError('The cursor is malformed')
    if (cursor.phase === 'keys') {
      // Events changed since the listing began are left to the changes that end it: each shows up at
      // most twice (once before its change, once after), an unchanged one exactly once.
      const rows = await selectEvents(client, keysetSql(calendarId, q, cursor.keys, since, limit + 1))
      const cut = keysPageCut(rows, limit, q, since)
      if (cut) return cut
      items.push(...rows)
    } else {
      afterId = cursor.afterId
    }
    const room = limit - items.length
    const changed = await selectEvents(
      client,
      changedSinceSql(calendarId, q, since, until, afterId, room + 1),
    )
    if (changed.length > room) {
      items.push(...changed.slice(0, room))
      const lastId = room === 0 ? afterId : (items.at(-1) as EventRecord).id
      return {
        items,
        nextCursor: encodeListCursor({ phase: 'changes', order: q.order, since, until, afterId: lastId }),
        syncToken: null,
      }
    }
    items.push(...changed)
    const syncToken = encodeSyncToken({ calendarId, epoch: horizon.epoch, position: since })
    return { items, nextCursor: null, syncToken }
  })
}

/** When the keys phase found more than `limit` rows: the page of the first `limit` and the cursor after it. */
function keysPageCut(rows: EventRecord[], limit: number, q: EventListQuery, since: string): EventPage | null {
  if (rows.length <= limit) return null
  const items = rows.slice(0, limit)
  const keys = cursorKeysOf(items.at(-1) as EventRecord, q.order)
  return { items, nextCursor: encodeListCursor({ phase: 'keys', since, keys }), syncToken: null }
}

interface FirstPageRow extends EventRow {
  horizon_epoch: string
  horizon_snapshot: string
}

/**
 * The first page of a listing (the polls: `updatedSince` without a cursor) in ONE statement, without a
 * transaction: the horizon and the page are read under the statement's one snapshot, which is what
 * `pg_current_snapshot()` answers, so the cursor and the sync token mean exactly what they mean when
 * `inSnapshot` reads them in three statements (and two more for BEGIN and COMMIT). The horizon's one row
 * is joined to the page, so a page without events still answers it.
 */
async function firstListPage(
  pool: pg.Pool,
  calendarId: string,
  q: EventListQuery,
  limit: number,
): Promise<EventPage> {
  const page = keysetSql(calendarId, q, undefined, undefined, limit + 1)
  const text = `SELECT horizon.epoch AS horizon_epoch, horizon.snapshot AS horizon_snapshot, page.*
    FROM (${HORIZON_SQL}) AS horizon
    LEFT JOIN LATERAL (${page.text}) AS page ON true
    ORDER BY ${listOrder(q.order, 'page.')}`
  let rows: FirstPageRow[]
  try {
    rows = (await pool.query<FirstPageRow>(text, page.params)).rows
  } catch (error) {
    throw mapError(error)
  }
  const first = rows[0]
  if (first === undefined) throw missingHorizon()
  const since = first.horizon_snapshot
  const events = first.id === null ? [] : rows.map(eventFromRow)
  const cut = keysPageCut(events, limit, q, since)
  if (cut) return cut
  const syncToken = encodeSyncToken({ calendarId, epoch: first.horizon_epoch, position: since })
  return { items: events, nextCursor: null, syncToken }
}

/** One page of the changes since a sync token, by event id, each event once. */
export async function syncEventsPage(
  pool: pg.Pool,
  calendarId: string,
  q: EventSyncQuery,
): Promise<EventChangePage> {
  const point = decodeSyncToken(q.syncToken, calendarId)
  const cursor = q.cursor === undefined ? undefined : decodeSyncCursor(q.cursor, q.syncToken)
  if (cursor !== undefined && !isSnapshot(cursor.until)) {
    throw new InvalidCursorError('The cursor is malformed')
  }
  const limit = Math.max(1, Math.floor(q.limit))
  return inSnapshot(pool, async (client) => {
    const horizon = await readHorizon(client)
    if (point.epoch !== horizon.epoch) {
      throw new SyncTokenExpiredError('The sync token was issued by another database')
    }
    if (!(await isAnswerable(client, point.position))) {
      throw new SyncTokenExpiredError('The sync token is older than the change history kept, or unknown')
    }
    // The window ends where the sync's first page read: later changes go to the next token.
    const until = cursor?.until ?? horizon.snapshot
    const result = await client.query<EventRow & { changed_id: string; deleted_at: Date | null }>(
      `WITH changed AS (
         SELECT c.event_id FROM event_changes c
         WHERE c.calendar_id = $1
           AND c.xid >= pg_snapshot_xmin($2::pg_snapshot) AND NOT pg_visible_in_snapshot(c.xid, $2::pg_snapshot)
           AND c.xid < pg_snapshot_xmax($3::pg_snapshot) AND pg_visible_in_snapshot(c.xid, $3::pg_snapshot)
           AND c.event_id > $4
         GROUP BY c.event_id ORDER BY c.event_id LIMIT $5
       )
       SELECT changed.event_id AS changed_id,
         (SELECT max(d.changed_at) FROM event_changes d
          WHERE d.calendar_id = $1 AND d.event_id = changed.event_id AND d.deleted) AS deleted_at,
         e.*
       FROM changed LEFT JOIN events e ON e.calendar_id = $1 AND e.id = changed.event_id
       ORDER BY changed.event_id`,
      [calendarId, point.position, until, cursor?.afterId ?? '', limit + 1],
    )
    const rows = result.rows
    const items: EventChange[] = rows
      .slice(0, limit)
      .map((row) =>
        row.id === null
          ? { kind: 'deleted', id: row.changed_id, deletedAt: (row.deleted_at ?? new Date()).getTime() }
          : { kind: 'event', event: eventFromRow(row) },
      )
    if (rows.length > limit) {
      const afterId = (rows[limit - 1] as { changed_id: string }).changed_id
      return {
        items,
        nextCursor: encodeSyncCursor({ token: q.syncToken, until, afterId }),
        syncToken: null,
      }
    }
    return {
      items,
      nextCursor: null,
      syncToken: encodeSyncToken({ calendarId, epoch: horizon.epoch, position: until }),
    }
  })
}

/**
 * Removes the changes recorded before `before`, except those of transactions after the oldest change kept
 * (so that "purged through" is one transaction id), and advances the horizon: tokens whose snapshot may
 * miss a removed change answer 410 from then on.
 */
export async function purgeChangesBefore(client: pg.PoolClient, before: Instant): Promise<void> {
  await client.query('SELECT 1 FROM event_change_horizon FOR UPDATE')
  await client.query(
    `WITH kept AS (SELECT min(xid) AS xid FROM event_changes WHERE changed_at >= $1),
     purged AS (
       DELETE FROM event_changes
       WHERE changed_at < $1 AND ((SELECT xid FROM kept) IS NULL OR xid < (SELECT xid FROM kept))
       RETURNING xid
     )
     UPDATE event_change_horizon
     SET purged_through = GREATEST(purged_through, (SELECT max(xid) FROM purged)),
         purge_snapshot = pg_current_snapshot()`,
    [toTimestamp(before)],
  )
}

async function selectEvents(
  client: pg.PoolClient,
  query: { text: string; params: unknown[] },
): Promise<EventRecord[]> {
  const result = await client.query<EventRow>(query.text, query.params)
  return result.rows.map(eventFromRow)
}

/** Bind parameters, each typed where it is used. */
function binder(first: unknown[]) {
  const params = [...first]
  const param = (value: unknown, type = 'timestamptz'): string => {
    params.push(value)
    return `$${params.length}::${type}`
  }
  return { params, param }
}

/**
 * The list query in keyset form: filters, "after these keys", "not changed since snapshot
 * `unchangedSince`", the order and `rows` rows.
 */
function keysetSql(
  calendarId: string,
  q: EventListQuery,
  after: CursorKeys | undefined,
  unchangedSince: string | undefined,
  rows: number,
): { text: string; params: unknown[] } {
  const { params, param } = binder([calendarId])
  const where = ['calendar_id = $1', ...filterSql(q, param)]
  if (unchangedSince !== undefined) {
    const since = param(unchangedSince, 'pg_snapshot')
    where.push(`NOT EXISTS (SELECT 1 FROM event_changes c
      WHERE c.calendar_id = $1 AND c.event_id = events.id
        AND c.xid >= pg_snapshot_xmin(${since}) AND NOT pg_visible_in_snapshot(c.xid, ${since}))`)
  }
  if (after !== undefined) {
    if (after.order === 'start') {
      const start = after.start === null ? "'infinity'::timestamptz" : param(toTimestamp(after.start))
      where.push(
        `(sort_start, created_at, id) > (${start}, ${param(toTimestamp(after.createdAt))}, ${param(after.id, 'text')})`,
      )
    } else {
      where.push(`(updated_at, id) > (${param(toTimestamp(after.updatedAt))}, ${param(after.id, 'text')})`)
    }
  }
  const text = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY ${listOrder(q.order)} LIMIT ${param(rows, 'integer')}`
  return { text, params }
}

/** A listing's sort keys, ascending, as an ORDER BY list on columns of `events` (prefixed by `table`). */
function listOrder(order: EventListQuery['order'], table = ''): string {
  const keys = order === 'start' ? ['sort_start', 'created_at', 'id'] : ['updated_at', 'id']
  return keys.map((key) => `${table}${key} ASC`).join(', ')
}

/** The events matching the filters now that changed after snapshot `since`, by id after `afterId`. */
function changedSinceSql(
  calendarId: string,
  q: EventListQuery,
  since: string,
  until: string,
  afterId: string | null,
  rows: number,
): { text: string; params: unknown[] } {
  const { params, param } = binder([calendarId, since, until])
  const where = [
    'calendar_id = $1',
    ...filterSql(q, param),
    `id IN (SELECT c.event_id FROM event_changes c WHERE c.calendar_id = $1
       AND c.xid >= pg_snapshot_xmin($2::pg_snapshot) AND NOT pg_visible_in_snapshot(c.xid, $2::pg_snapshot)
       AND pg_visible_in_snapshot(c.xid, $3::pg_snapshot))`,
  ]
  if (afterId !== null) where.push(`id > ${param(afterId, 'text')}`)
  const text = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${param(rows, 'integer')}`
  return { text, params }
}

/** The query's filters as conditions on `events`. */
function filterSql(q: EventListQuery, param: (value: unknown, type?: string) => string): string[] {
  const where: string[] = []
  if (q.from !== undefined || q.to !== undefined) where.push('start_at IS NOT NULL AND end_at IS NOT NULL')
  if (q.to !== undefined) where.push(`start_at < ${param(toTimestamp(q.to))}`)
  if (q.from !== undefined) where.push(`end_at > ${param(toTimestamp(q.from))}`)
  if (q.statuses !== undefined && q.statuses.length > 0) {
    // Bound only when a clock-derived status uses it: every bound parameter must appear in the text.
    let now: string | undefined
    const bindNow = () => {
      now ??= param(toTimestamp(q.now))
      return now
    }
    const statuses = [...new Set(q.statuses)]
    where.push(`(${statuses.map((s) => statusCondition(s, bindNow)).join(' OR ')})`)
  }
  if (q.updatedSince !== undefined) where.push(`updated_at >= ${param(toTimestamp(q.updatedSince))}`)
  return where
}

/** The stored rows that a client status stands for at the instant that `now` binds. */
function statusCondition(status: EventStatus, now: () => string): string {
  switch (status) {
    case 'scheduled':
      return `(status = 'scheduled' AND start_at > ${now()})`
    case 'in_progress':
      return `(status = 'scheduled' AND start_at <= ${now()} AND end_at > ${now()})`
    case 'completed':
      return `(status = 'completed' OR (status = 'scheduled' AND end_at <= ${now()}))`
    case 'pending':
    case 'cancelled':
    case 'failed':
      return `status = '${status}'`
  }
}
