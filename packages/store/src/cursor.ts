import { type EventRecord, type Instant, isStorableText, isSupportedInstant } from '@scheduler/core'
import { type EventListQuery, InvalidCursorError } from './port.js'

export type ListOrder = EventListQuery['order']

/**
 * The sort keys of the last event of a page, which the next page starts after. `start` order sorts by
 * start (unplaced events, `start: null`, last), then creation, then id; `updated` order by update, then id.
 */
export type CursorKeys =
  | { order: 'start'; start: Instant | null; createdAt: Instant; id: string }
  | { order: 'updated'; updatedAt: Instant; id: string }

/**
 * Where a listing stands. Every cursor carries `since`, the adapter's position in its change log when the
 * listing began (PostgreSQL: a `pg_snapshot`; MongoDB: a change counter). A listing first pages through the
 * sort keys (`keys`); after the last key it answers the matching events changed since `since` (`changes`,
 * by id), so an event that moved behind the cursor meanwhile is not skipped. The changes phase is bounded by
 * `until`, the change-log position when it began: changes after it belong to the next sync, so a listing
 * ends however fast the calendar changes.
 */
export type ListCursor =
  | { phase: 'keys'; since: string; keys: CursorKeys }
  | { phase: 'changes'; order: ListOrder; since: string; until: string; afterId: string | null }

/** The cursor keys of `event` in `order`. */
export function cursorKeysOf(event: EventRecord, order: ListOrder): CursorKeys {
  return order === 'start'
    ? { order, start: event.start, createdAt: event.createdAt, id: event.id }
    : { order, updatedAt: event.updatedAt, id: event.id }
}

/** An opaque base64url cursor; every adapter uses this encoding. */
export function encodeListCursor(cursor: ListCursor): string {
  let wire: Record<string, unknown>
  if (cursor.phase === 'changes') {
    wire = {
      o: cursor.order === 'start' ? 's' : 'u',
      p: 'c',
      x: cursor.since,
      n: cursor.until,
      a: cursor.afterId,
    }
  } else {
    const { keys } = cursor
    wire =
      keys.order === 'start'
        ? { o: 's', s: keys.start, c: keys.createdAt, i: keys.id, x: cursor.since }
        : { o: 'u', u: keys.updatedAt, i: keys.id, x: cursor.since }
  }
  return Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url')
}

/** Decodes a cursor made by `encodeListCursor` for `order`; throws `InvalidCursorError` for anything else. */
export function decodeListCursor(cursor: string, order: ListOrder): ListCursor {
  const wire = parseWire(cursor)
  const since = wire.x
  const o = order === 'start' ? 's' : 'u'
  if (wire.o === o && isPosition(since)) {
    if (wire.p === 'c') {
      const { a, n } = wire
      if ((a === null || isId(a)) && isPosition(n))
        return { phase: 'changes', order, since, until: n, afterId: a }
    } else if (order === 'start') {
      const { s, c, i } = wire
      if ((s === null || isInstant(s)) && isInstant(c) && isId(i)) {
        return { phase: 'keys', since, keys: { order, start: s, createdAt: c, id: i } }
      }
    } else {
      const { u, i } = wire
      if (isInstant(u) && isId(i)) return { phase: 'keys', since, keys: { order, updatedAt: u, id: i } }
    }
  }
  throw new InvalidCursorError(`The cursor does not belong to a list in ${order} order`)
}

/** Parses base64url JSON into an object; throws `InvalidCursorError` for anything else. */
export function parseWire(cursor: string): Record<string, unknown> {
  // Node's base64url decoder skips characters outside the alphabet; refuse them instead
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new InvalidCursorError('The cursor is malformed')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidCursorError('The cursor is malformed')
  }
  return parsed as Record<string, unknown>
}

// Every stored instant is in the supported range; one outside it could not even be written into a query
function isInstant(value: unknown): value is Instant {
  return typeof value === 'number' && Number.isSafeInteger(value) && isSupportedInstant(value)
}

// An id that no store could hold (NUL, an unpaired surrogate: the text rule) would fail the query, not miss
function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 255 && isStorableText(value)
}

function isPosition(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 4096
}
