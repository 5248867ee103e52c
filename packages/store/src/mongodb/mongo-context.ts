import type { EventRecord, Instant } from '@scheduler/core'
import { type ClientSession, type Db, type MongoClient, type TransactionOptions, WriteConcern } from 'mongodb'
import { OverlapError } from '../port.js'
import { type AttachmentFiles, makeAttachmentFiles } from './mongo-attachment-files.js'
import { type Collections, collectionsOf } from './mongo-collections.js'
import { recordKey, toDate } from './mongo-documents.js'
import { guarded as guardedWithin } from './mongo-errors.js'
import { type EventChangeLog, eventChangeCollections, makeEventChangeLog } from './mongo-event-changes.js'
import { runTransaction } from './mongo-transactions.js'

/**
 * What every aggregate of the MongoDB adapter shares: the collections, the attachment files, the change log,
 * the bounded operation and transaction runners, and the calendar revision every placement write bumps.
 */
export interface MongoContext {
  client: MongoClient
  db: Db
  collections: Collections
  gridFs: AttachmentFiles
  /** Every transaction that writes `events` records its writes here, in the same transaction (issue 10). */
  changeLog: EventChangeLog
  /** Runs `operation` bounded by `timeoutMs` (→ StoreUnavailableError), retries included. */
  guarded<T>(operation: () => Promise<T>): Promise<T>
  /**
   * Runs `work` in a transaction, again after a write conflict: `work` must only touch the database through
   * `session` and must not keep state between runs.
   */
  transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T>
  /** Creates the calendar's revision document outside any transaction (see below). */
  ensureRevision(calendarId: string): Promise<void>
  /** Increments the calendar's revision in `session`: serialises the transaction with every placement write. */
  bumpRevision(session: ClientSession, calendarId: string): Promise<void>
  /** Refuses (OverlapError) occupying events just written in `session` that overlap another occupying one. */
  assertNoOverlap(session: ClientSession, jobId: string, written: EventRecord[]): Promise<void>
}

// Snapshot reads and majority commits: what a transaction reads is one consistent state, and what it
// commits survives a failover. A commit that no majority acknowledges in time fails (→ unavailable).
function transactionOptions(timeoutMs: number): TransactionOptions {
  return {
    readConcern: { level: 'snapshot' },
    writeConcern: new WriteConcern('majority', timeoutMs),
    readPreference: 'primary',
    maxCommitTimeMS: timeoutMs,
  }
}

export function makeMongoContext(client: MongoClient, db: Db, timeoutMs: number): MongoContext {
  const collections: Collections = collectionsOf(db)
  const { revisions, events } = collections
  const gridFs = makeAttachmentFiles(db, collections)
  // Every transaction that writes `events` records its writes here, in the same transaction (issue 10).
  const changeLog = makeEventChangeLog(eventChangeCollections(db))
  // Calendars whose revision document is known to exist (see `ensureRevision`).
  const revisionsCreated = new Set<string>()

  const TRANSACTION_OPTIONS = transactionOptions(timeoutMs)

  // Every operation below is bounded by `timeoutMs` (→ StoreUnavailableError), retries included.
  function guarded<T>(operation: () => Promise<T>): Promise<T> {
    return guardedWithin(operation, timeoutMs)
  }

  // `runTransaction` may run `work` more than once (after a write conflict): `work` must only touch the
  // database through `session` and must not keep state between runs.
  function transaction<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    return runTransaction(client, TRANSACTION_OPTIONS, timeoutMs, work)
  }

  // The revision document is created outside the plan's transaction: two transactions upserting the same
  // missing document may fail with a duplicate key (not retried) instead of a write conflict (retried),
  // whereas a plain upsert on `_id` is retried by the server itself.
  async function ensureRevision(calendarId: string): Promise<void> {
    if (revisionsCreated.has(calendarId)) return
    await revisions.updateOne(
      { _id: calendarId },
      { $setOnInsert: { calendarId, revision: 0 } },
      { upsert: true },
    )
    revisionsCreated.add(calendarId)
  }

  // Runs after a transaction's event writes (a plan's, a submit's), inside it, so it reads the calendar as
  // it would be committed: deletions gone, the written events in their new places. Each occupying event
  // written must then overlap no other occupying event — neither one stored nor another just written.
  // The transaction must also have incremented the calendar's revision (see `bumpRevision`).
  async function assertNoOverlap(
    session: ClientSession,
    jobId: string,
    written: EventRecord[],
  ): Promise<void> {
    const placed = written.filter(isPlacedAndOccupying)
    if (placed.length === 0) return
    const clash = await events.findOne(
      {
        $or: placed.map((event) => ({
          calendarId: event.calendarId,
          status: 'scheduled' as const,
          _id: { $ne: recordKey(event.calendarId, event.id) },
          start: { $lt: toDate(event.end) },
          end: { $gt: toDate(event.start) },
        })),
      },
      { session, projection: { _id: 1 } },
    )
    if (clash !== null) {
      throw new OverlapError(`The events of job ${jobId} would overlap the occupying event ${clash._id.id}`)
    }
  }

  // Serialises the transaction with every other one that bumps the calendar's revision (plans, submits
  // of occupying events, attachment writes): two that both commit would write the same document.
  async function bumpRevision(session: ClientSession, calendarId: string): Promise<void> {
    // Upserting again only matters if the document was removed since `ensureRevision` saw it.
    await revisions.updateOne(
      { _id: calendarId },
      { $inc: { revision: 1, placementRevision: 1 }, $setOnInsert: { calendarId } },
      { upsert: true, session },
    )
  }

  return {
    client,
    db,
    collections,
    gridFs,
    changeLog,
    guarded,
    transaction,
    ensureRevision,
    assertNoOverlap,
    bumpRevision,
  }
}

// What PostgreSQL's check constraints refuse, refused here too: an occupying event needs its time, and
// no event ends before it starts.
export function assertWritable(event: EventRecord): void {
  if (event.status === 'scheduled' && (event.start === null || event.end === null)) {
    throw new Error(`Event ${event.id} is scheduled without a start and an end`)
  }
  if (event.start !== null && event.end !== null && event.end < event.start) {
    throw new Error(`Event ${event.id} ends before it starts`)
  }
}

interface TimedEvent extends EventRecord {
  start: Instant
  end: Instant
}

export function isPlacedAndOccupying(event: EventRecord): event is TimedEvent {
  return event.status === 'scheduled' && event.start !== null && event.end !== null
}

// Mongo reads a limit of 0 as "no limit"; the port's limit is a maximum, so nothing is asked for instead.
export function atMost(limit: number): number {
  const whole = Math.floor(limit)
  return Number.isSafeInteger(whole) && whole > 0 ? whole : 0
}
