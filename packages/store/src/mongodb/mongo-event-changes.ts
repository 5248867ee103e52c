import { randomUUID } from 'node:crypto'
import type { EventRecord, Instant } from '@scheduler/core'
import type { ClientSession, Collection, Db, Filter } from 'mongodb'
import { cursorKeysOf, decodeListCursor, encodeListCursor } from '../cursor.js'
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
import { type EventDocument, eventFromDocument, recordKey, toDate } from './mongo-documents.js'
import { listFilter, listSort } from './mongo-queries.js'

// The change log behind sync tokens and listings that never skip (issue 10), MongoDB's way.
//
// The guarantee PostgreSQL gets from transaction ids and snapshots, MongoDB gets from a per-calendar counter
// document (`event_change_counters`, `_id` = the calendar id). Every transaction that writes events calls
// `recordEventChanges`, which increments the counter and inserts one `event_changes` document per event
// written, numbered with the counter's new values, in that same transaction. Two transactions that
// increment the same document cannot both commit (the second write-conflicts and `withTransaction` runs it
// again after the first committed), so positions are handed out in commit order, without gaps. A read in
// one snapshot that sees position p therefore sees every position below p, and "changed since token p"
// means "has a change with position > p": a transaction that began before the token was issued and commits
// after it can only commit with a position above p. Tokens carry the counter's `epoch` (random per counter
// document), so a token from another database or a recreated counter is unknown (410); `purgedThrough` is
// the highest position housekeeping removed (tokens below it answer 410).
//
// Change streams were the alternative; they need the oplog window to cover a client's polling interval,
// which is an operational setting rather than a property of the data, and resume tokens do not survive a
// restore. A change log in the database keeps the 30-day history as plain documents.

export interface EventChangeDocument {
  calendarId: string
  eventId: string
  /** The calendar's counter value that this change took: commit order, no gaps. */
  position: number
  deleted: boolean
  changedAt: Date
}

export interface EventChangeCounterDocument {
  _id: string
  position: number
  epoch: string
  purgedThrough: number
}

/** One event written (or deleted) by a transaction, for `recordEventChanges`. */
export interface EventWrite {
  calendarId: string
  eventId: string
  deleted: boolean
}

export function eventChangeCollections(db: Db) {
  return {
    changes: db.collection<EventChangeDocument>('event_changes'),
    counters: db.collection<EventChangeCounterDocument>('event_change_counters'),
  }
}

export type EventChangeCollections = ReturnType<typeof eventChangeCollections>

export async function createEventChangeIndexes(collections: EventChangeCollections): Promise<void> {
  await collections.changes.createIndexes([
    { key: { calendarId: 1, position: 1 }, name: 'event_changes_by_position', unique: true },
    { key: { calendarId: 1, eventId: 1, position: 1 }, name: 'event_changes_by_event' },
    { key: { changedAt: 1 }, name: 'event_changes_by_time' },
  ])
}

/**
 * The change log's part of one store: the counters are created outside transactions (two transactions
 * upserting the same missing document fail with a duplicate key, which is not retried), the rest inside.
 */
export function makeEventChangeLog(collections: EventChangeCollections) {
  const { changes, counters } = collections
  const countersCreated = new Set<string>()

  async function ensureCounter(calendarId: string): Promise<void> {
    if (countersCreated.has(calendarId)) return
    await counters.updateOne(
      { _id: calendarId },
      { $setOnInsert: { position: 0, epoch: randomUUID(), purgedThrough: 0 } },
      { upsert: true },
    )
    countersCreated.add(calendarId)
  }

  async function counterOf(calendarId: string, session: ClientSession): Promise<EventChangeCounterDocument> {
    await ensureCounter(calendarId)
    const counter = await counters.findOne({ _id: calendarId }, { session })
    if (counter === null) throw new Error(`The change counter of calendar ${calendarId} vanished`)
    return counter
  }

  const reads: ChangeReads = { changes, counterOf }
  return {
    /** Call before the transaction that will record changes of these calendars. */
    async prepare(calendarIds: Iterable<string>): Promise<void> {
      for (const calendarId of new Set(calendarIds)) await ensureCounter(calendarId)
    },

    /**
     * Records `writes` in `session`'s transaction, numbered from each calendar's counter. Every path that
     * writes `events` calls this in the same transaction (after `prepare`).
     */
    async record(session: ClientSession, writes: EventWrite[], at: Instant): Promise<void> {
      const byCalendar = new Map<string, EventWrite[]>()
      for (const write of writes) {
        const list = byCalendar.get(write.calendarId) ?? []
        list.push(write)
        byCalendar.set(write.calendarId, list)
      }
      for (const [calendarId, list] of byCalendar) {
        const counter = await counters.findOneAndUpdate(
          { _id: calendarId },
          { $inc: { position: list.length } },
          { session, returnDocument: 'after' },
        )
        if (counter === null) throw new Error(`The change counter of calendar ${calendarId} is missing`)
        const first = counter.position - list.length + 1
        await changes.insertMany(
          list.map((write, i) => ({
            calendarId,
            eventId: write.eventId,
            position: first + i,
            deleted: write.deleted,
            changedAt: toDate(at),
          })),
          { session },
        )
      }
    },

    /** One page of a listing (run in a snapshot transaction): sort keys first, then changes since it began. */
    listPage: (
      session: ClientSession,
      events: Collection<EventDocument>,
      calendarId: string,
      query: EventListQuery,
    ): Promise<EventPage> => listPage(reads, session, events, calendarId, query),

    /** One page of the changes since a sync token (run in a snapshot transaction), by event id. */
    syncPage: (
      session: ClientSession,
      events: Collection<EventDocument>,
      calendarId: string,
      query: EventSyncQuery,
    ): Promise<EventChangePage> => syncPage(reads, session, events, calendarId, query),

    /**
     * Removes each calendar's changes recorded before `before` up to its oldest change kept, and raises its
     * `purgedThrough` to the highest position removed.
     */
    async purge(before: Instant): Promise<void> {
      const cutoff = toDate(before)
      for await (const counter of counters.find({})) {
        const calendarId = counter._id
        const kept = await changes
          .find({ calendarId, changedAt: { $gte: cutoff } })
          .sort({ position: 1 })
          .limit(1)
          .toArray()
        const filter: Filter<EventChangeDocument> = {
          calendarId,
          changedAt: { $lt: cutoff },
          ...(kept[0] === undefined ? {} : { position: { $lt: kept[0].position } }),
        }
        const highest = await changes.find(filter).sort({ position: -1 }).limit(1).toArray()
        if (highest[0] === undefined) continue
        await counters.updateOne({ _id: calendarId }, { $max: { purgedThrough: highest[0].position } })
        await changes.deleteMany(filter)
      }
    },
  }
}

export type EventChangeLog = ReturnType<typeof makeEventChangeLog>

/** What a listing or a sync reads besides the events: the changes, and a calendar's counter. */
interface ChangeReads {
  changes: Collection<EventChangeDocument>
  counterOf: (calendarId: string, session: ClientSession) => Promise<EventChangeCounterDocument>
}

/** One page of a listing (run in a snapshot transaction): sort keys first, then changes since it began. */
async function listPage(
  { changes, counterOf }: ChangeReads,
  session: ClientSession,
  events: Collection<EventDocument>,
  calendarId: string,
  query: EventListQuery,
): Promise<EventPage> {
  const cursor = query.cursor === undefined ? undefined : decodeListCursor(query.cursor, query.order)
  const limit = Math.max(1, Math.floor(query.limit))
  const counter = await counterOf(calendarId, session)
  if (cursor !== undefined && !isPosition(cursor.since))
    throw new InvalidCursorError('The cursor is malformed')
  if (cursor !== undefined && !isAnswerable(cursor.since, counter)) {
    throw new SyncTokenExpiredError('The listing began before the change history kept; list again')
  }
  const since = cursor?.since ?? String(counter.position)
  // The changes phase answers the changes up to the position it began at; later ones go to the next sync.
  const until = cursor?.phase === 'changes' ? cursor.until : String(counter.position)
  if (!isPosition(until)) throw new InvalidCursorError('The cursor is malformed')
  // The events changed since the listing began (none when it begins in this snapshot).
  const changedIds =
    cursor === undefined
      ? []
      : await changes.distinct(
          'eventId',
          { calendarId, position: { $gt: Number(since), $lte: Number(until) } },
          { session },
        )
  const items: EventRecord[] = []
  let afterId: string | null = null
  if (cursor === undefined || cursor.phase === 'keys') {
    // Changed events are left to the changes that end the listing: each shows up at most twice (once
    // before its change, once after), an unchanged one exactly once.
    const filter = listFilter(calendarId, query, cursor?.keys)
    const documents = await events
      .find(
        changedIds.length === 0
          ? filter
          : { $and: [filter, { _id: { $nin: changedIds.map((id) => eventKey(calendarId, id)) } }] },
        { session },
      )
      .sort(listSort(query.order))
      .limit(limit + 1)
      .toArray()
    const rows = documents.map(eventFromDocument)
    if (rows.length > limit) {
      const page = rows.slice(0, limit)
      const keys = cursorKeysOf(page.at(-1) as EventRecord, query.order)
      return {
        items: page,
        nextCursor: encodeListCursor({ phase: 'keys', since, keys }),
        syncToken: null,
      }
    }
    items.push(...rows)
  } else {
    afterId = cursor.afterId
  }
  if (cursor !== undefined) {
    const room = limit - items.length
    const idFilter: Filter<EventDocument> = {
      _id: {
        $in: changedIds.map((id) => eventKey(calendarId, id)),
        ...(afterId === null ? {} : { $gt: eventKey(calendarId, afterId) }),
      },
    }
    const documents = await events
      .find({ $and: [listFilter(calendarId, query), idFilter] }, { session })
      .sort({ _id: 1 })
      .limit(room + 1)
      .toArray()
    const changed = documents.map(eventFromDocument)
    if (changed.length > room) {
      items.push(...changed.slice(0, room))
      const lastId = room === 0 ? afterId : (items.at(-1) as EventRecord).id
      return {
        items,
        nextCursor: encodeListCursor({
          phase: 'changes',
          order: query.order,
          since,
          until,
          afterId: lastId,
        }),
        syncToken: null,
      }
    }
    items.push(...changed)
  }
  const syncToken = encodeSyncToken({ calendarId, epoch: counter.epoch, position: since })
  return { items, nextCursor: null, syncToken }
}

/** One page of the changes since a sync token (run in a snapshot transaction), by event id. */
async function syncPage(
  { changes, counterOf }: ChangeReads,
  session: ClientSession,
  events: Collection<EventDocument>,
  calendarId: string,
  query: EventSyncQuery,
): Promise<EventChangePage> {
  const point = decodeSyncToken(query.syncToken, calendarId)
  const cursor = query.cursor === undefined ? undefined : decodeSyncCursor(query.cursor, query.syncToken)
  if (cursor !== undefined && !isPosition(cursor.until)) {
    throw new InvalidCursorError('The cursor is malformed')
  }
  const limit = Math.max(1, Math.floor(query.limit))
  const counter = await counterOf(calendarId, session)
  if (point.epoch !== counter.epoch) {
    throw new SyncTokenExpiredError('The sync token was issued by another database')
  }
  if (!isAnswerable(point.position, counter)) {
    throw new SyncTokenExpiredError('The sync token is older than the change history kept, or unknown')
  }
  const until = cursor?.until ?? String(counter.position)
  const grouped = await changes
    .aggregate<{ _id: string; deletedAt: Date | null }>(
      [
        {
          $match: {
            calendarId,
            position: { $gt: Number(point.position), $lte: Number(until) },
            ...(cursor === undefined ? {} : { eventId: { $gt: cursor.afterId } }),
          },
        },
        {
          $group: {
            _id: '$eventId',
            deletedAt: { $max: { $cond: ['$deleted', '$changedAt', null] } },
          },
        },
        { $sort: { _id: 1 } },
        { $limit: limit + 1 },
      ],
      { session },
    )
    .toArray()
  const page = grouped.slice(0, limit)
  const documents = await events
    .find({ calendarId, _id: { $in: page.map((g) => eventKey(calendarId, g._id)) } }, { session })
    .toArray()
  const current = new Map(documents.map((d) => eventFromDocument(d)).map((e) => [e.id, e]))
  const items: EventChange[] = page.map((g) => {
    const event = current.get(g._id)
    return event === undefined
      ? { kind: 'deleted', id: g._id, deletedAt: (g.deletedAt ?? new Date()).getTime() }
      : { kind: 'event', event }
  })
  if (grouped.length > limit) {
    const afterId = (page.at(-1) as { _id: string })._id
    return {
      items,
      nextCursor: encodeSyncCursor({ token: query.syncToken, until, afterId }),
      syncToken: null,
    }
  }
  return {
    items,
    nextCursor: null,
    syncToken: encodeSyncToken({ calendarId, epoch: counter.epoch, position: until }),
  }
}

/**
 * The events collection's `_id` of an event: the one place here that knows the key's shape (sorting by it
 * within one calendar sorts by id).
 */
function eventKey(calendarId: string, id: string): EventDocument['_id'] {
  return recordKey(calendarId, id)
}

function isPosition(text: string): boolean {
  return /^\d{1,15}$/.test(text)
}

/** A position of this counter's past that no purge has passed. */
function isAnswerable(position: string, counter: EventChangeCounterDocument): boolean {
  if (!isPosition(position)) return false
  const value = Number(position)
  return value >= counter.purgedThrough && value <= counter.position
}
