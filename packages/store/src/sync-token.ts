import { parseWire } from './cursor.js'
import { InvalidCursorError, SyncTokenExpiredError } from './port.js'

/**
 * What a sync token stands for: a point in one calendar's change log. `epoch` names the change log itself
 * (a random value per database), so a token from another database or a restored copy is unknown (410);
 * `position` is the adapter's own (PostgreSQL: a `pg_snapshot` as text; MongoDB: a change counter).
 */
export interface SyncPoint {
  calendarId: string
  epoch: string
  position: string
}

/** An opaque base64url token for `point`; every adapter uses this encoding. Tokens grant nothing. */
export function encodeSyncToken(point: SyncPoint): string {
  const wire = { v: 1, c: point.calendarId, e: point.epoch, p: point.position }
  return Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url')
}

/**
 * Decodes a token made by `encodeSyncToken` for `calendarId`. Throws `SyncTokenExpiredError` for a
 * malformed token and for one of another calendar: the client cannot use it and lists everything again.
 */
export function decodeSyncToken(token: string, calendarId: string): SyncPoint {
  let wire: Record<string, unknown>
  try {
    wire = parseWire(token)
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new SyncTokenExpiredError('The sync token is malformed')
    throw error
  }
  const { v, c, e, p } = wire
  if (v !== 1 || typeof c !== 'string' || typeof e !== 'string' || typeof p !== 'string' || p === '') {
    throw new SyncTokenExpiredError('The sync token is malformed')
  }
  if (c !== calendarId) throw new SyncTokenExpiredError('The sync token belongs to another calendar')
  return { calendarId: c, epoch: e, position: p }
}

/**
 * A sync page's cursor: the token's point (`since`), the window's end (`until`, the position read by the
 * first page, which becomes the next token) and the last event id answered.
 */
export interface SyncCursor {
  token: string
  until: string
  afterId: string
}

export function encodeSyncCursor(cursor: SyncCursor): string {
  const wire = { y: 1, t: cursor.token, u: cursor.until, a: cursor.afterId }
  return Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url')
}

/** Decodes a cursor made by `encodeSyncCursor` for `token`; throws `InvalidCursorError` for anything else. */
export function decodeSyncCursor(cursor: string, token: string): SyncCursor {
  const { y, t, u, a } = parseWire(cursor)
  if (y !== 1 || typeof u !== 'string' || u === '' || typeof a !== 'string' || a === '') {
    throw new InvalidCursorError('The cursor does not belong to a sync listing')
  }
  if (t !== token) throw new InvalidCursorError('The cursor belongs to another sync token')
  return { token, until: u, afterId: a }
}
