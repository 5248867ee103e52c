import {
  type CalendarSnapshot,
  type EventRecord,
  type Instant,
  type Interval,
  type PlacedEvent,
  planJobFailure,
} from '@scheduler/core'
import {
  type ClientSession,
  type Db,
  type DbOptions,
  MongoClient,
  ReadConcern,
  type TransactionOptions,
  WriteConcern,
} from 'mongodb'
import { checkAttachment } from '../attachment-checks.js'
import {
  type AttachmentRecord,
  EventNotFoundError,
  type IdempotencyRecord,
  type IdempotencyWrite,
  type IdempotentResult,
  OverlapError,
  RevisionMovedError,
  StaleJobError,
  type Store,
  type StorePlan,
} from '../port.js'
import { makeAttachmentFiles } from './mongo-attachments.js'
import { type Collections, collectionsOf, createIndexes } from './mongo-collections.js'
import {
  attachmentFromDocument,
  busyFromDocument,
  busyToDocument,
  calendarFromDocument,
  calendarToDocument,
  deliveryFromDocument,
  deliveryToDocument,
  errorToDocument,
  eventFromDocument,
  eventToDocument,
  idempotencyFromDocument,
  idempotencyToDocument,
  jobFromDocument,
  jobToDocument,
  messageFromDocument,
  messageToDocument,
  outcomeToDocument,
  recordKey,
  toDate,
  webhookFromDocument,
  webhookToDocument,
} from './mongo-documents.js'
import { guarded as guardedWithin, isDuplicateKey, toStoreError } from './mongo-errors.js'
import {
  createEventChangeIndexes,
  type EventWrite,
  eventChangeCollections,
  makeEventChangeLog,
} from './mongo-event-changes.js'
import { createFeedTokenIndexes, makeMongoFeedTokens } from './mongo-feed-tokens.js'
import { runTransaction } from './mongo-transactions.js'

export interface MongoStoreOptions {
  /**
   * How long an operation waits for a usable server before failing (default 2 s, or `timeoutMs` when
   * that is shorter: fail fast, answer 503).
   */
  serverSelectionTimeoutMs?: number
  /**
   * The longest one store operation may take, in ms (default 10000), transactions and their retries
   * included: past it the operation rejects with `StoreUnavailableError`. It is also each step's limit:
   * a socket read, a connection checkout, a majority acknowledgement (`wtimeoutMS`), a commit.
   */
  timeoutMs?: number
}

const DEFAULT_DATABASE = 'scheduler'
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 2_000
const DEFAULT_TIMEOUT_MS = 10_000
/** How long an idempotency key answers with its recorded result (the contract's 24 h). */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
/** Shared by every loaded event without attendees. */
const NO_ATTENDEES: readonly never[] = Object.freeze([])

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

// Outside transactions too, whatever the connection string says: writes are acknowledged by a majority
// (a w:1 write on a primary-secondary-arbiter set can be rolled back at a failover), reads answer only
// majority-committed data and go to the primary.
function databaseOptions(timeoutMs: number): DbOptions {
  return {
    writeConcern: new WriteConcern('majority', timeoutMs),
    readConcern: new ReadConcern('majority'),
    readPreference: 'primary',
  }
}

/**
 * Connects to MongoDB, checks that it can run transactions, creates the indexes and answers the store.
 * The database is the connection string's path (`mongodb://host:27017/scheduler?replicaSet=rs0`), else
 * `scheduler`. Rejects with `StoreUnavailableError` when no server answers within the server selection
 * timeout, and with a plain error when the server is a standalone (multi-document transactions need a
 * replica set; docker-compose runs a single-node one).
 *
 * How two writers are kept apart: MongoDB has no exclusion constraint, so "occupying events never overlap"
 * is checked by `applyPlan` (and by `submit`, for an occupying event) inside its transaction. A check in a
 * snapshot alone would let two concurrent plans each see the other's slot free; so every plan first
 * increments its calendar's revision document (`calendar_revisions`, `_id` = the calendar id), as do
 * `submit` of an occupying event and `putAttachment`. Two transactions that write the same document
 * cannot both commit: one of them fails with a WriteConflict (labelled TransientTransactionError), and
 * `runTransaction` runs it again from the start on a fresh snapshot, where it sees the winner's events,
 * re-checks the job (now finished → `StaleJobError`) and the overlap (→ `OverlapError`). Plans that write
 * to one calendar are thereby serialised, whatever the number of workers (a plan that also writes events
 * of another calendar increments that calendar's revision too).
 */
export async function createMongoStore(url: string, options: MongoStoreOptions = {}): Promise<Store> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const selectionMs = Math.min(
    options.serverSelectionTimeoutMs ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
    timeoutMs,
  )
  // Every step of an operation has its limit (the driver's own defaults wait forever on a socket and a
  // pool); `guarded` bounds the whole operation, retries included, by `timeoutMs`.
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: selectionMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
    // An optional field left undefined must stay absent, not become null.
    ignoreUndefined: true,
  })
  const db = client.db(databaseName(url), databaseOptions(timeoutMs))
  try {
    await client.connect()
    await requireTransactions(db)
    await refuseIdKeyedRecords(db)
    await createIndexes(collectionsOf(db))
    await createFeedTokenIndexes(db)
    await createEventChangeIndexes(eventChangeCollections(db))
  } catch (error) {
    // The start-up failure is what the caller needs to see, not a failure to close after it.
    await client.close().catch(() => undefined)
    throw toStoreError(error)
  }
  return mongoStore(client, db, timeoutMs)
}

// A connection string with several hosts is no WHATWG URL, but hosts never contain '/', so the first '/'
// after the scheme starts the database name.
function databaseName(url: string): string {
  const afterScheme = url.slice(url.indexOf('://') + 3)
  const slash = afterScheme.indexOf('/')
  if (slash === -1) return DEFAULT_DATABASE
  const path = afterScheme.slice(slash + 1).split('?')[0] ?? ''
  return path === '' ? DEFAULT_DATABASE : decodeURIComponent(path)
}

// Earlier versions keyed events, jobs and webhooks by their id alone (a string `_id`); this one keys them
// by { calendarId, id } and would not find those records. Refuse to start rather than ignore them.
async function refuseIdKeyedRecords(db: Db): Promise<void> {
  const { events, jobs, webhooks } = collectionsOf(db)
  for (const collection of [events, jobs, webhooks]) {
    const old = await collection.findOne({ _id: { $type: 'string' } } as object, { projection: { _id: 1 } })
    if (old !== null) {
      throw new Error(
        `MongoDB collection ${collection.collectionName} holds records keyed by id alone, written by an earlier version: re-key them as _id: { calendarId, id } (or start from an empty database)`,
      )
    }
  }
}

async function requireTransactions(db: Db): Promise<void> {
  const hello = await db.admin().command({ hello: 1 })
  if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
    throw new Error(
      'MongoDB runs as a standalone server: the store needs a replica set (a single-node one will do) for transactions',
    )
  }
}

// What PostgreSQL's check constraints refuse, refused here too: an occupying event needs its time, and
// no event ends before it starts.
function assertWritable(event: EventRecord): void {
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

function isPlacedAndOccupying(event: EventRecord): event is TimedEvent {
  return event.status === 'scheduled' && event.start !== null && event.end !== null
}

// Addresses are compared case-insensitively, as the PostgreSQL adapter does.
function normalizeEmail(email: string): string {
  return email.toLowerCase()
}

function isExpired(createdAt: Instant, now: Instant): boolean {
  return createdAt + IDEMPOTENCY_TTL_MS <= now
}

// Mongo reads a limit of 0 as "no limit"; the port's limit is a maximum, so nothing is asked for instead.
function atMost(limit: number): number {
  const whole = Math.floor(limit)
  return Number.isSafeInteger(whole) && whole > 0 ? whole : 0
}

function eventNotFound(attachment: AttachmentRecord): EventNotFoundError {
  return new EventNotFoundError(
    `Event ${attachment.eventId} does not exist in calendar ${attachment.calendarId}`,
  )
}

/** Aborts a deletion that found nothing, together with the key it recorded. */
class NothingDeleted extends Error {
  override name = 'NothingDeleted'
}

/** A deletion's result, with whatever it removed reduced to whether it removed anything. */
function deletedOf<T>(result: IdempotentResult<T | null>): IdempotentResult<boolean> {
  return result.kind === 'replay' ? result : { kind: 'done', value: result.value !== null }
}

function mongoStore(client: MongoClient, db: Db, timeoutMs: number): Store {
  const collections: Collections = collectionsOf(db)
  const {
    calendars,
    revisions,
    events,
    jobs,
    idempotency,
    busy,
    webhooks,
    outbox,
    deliveries,
    attachmentFiles,
  } = collections
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

  async function findIdempotencyRecord(
    calendarId: string,
    key: string,
    now: Instant,
  ): Promise<IdempotencyRecord | null> {
    const document = await idempotency.findOne({
      calendarId,
      key,
      createdAt: { $gt: toDate(now - IDEMPOTENCY_TTL_MS) },
    })
    return document === null ? null : idempotencyFromDocument(document)
  }

  /**
   * Runs `work` in a transaction that also records the idempotency key, unless the key is already recorded
   * and unexpired: then nothing is written and the record is answered. An expired record is replaced.
   */
  async function idempotently<T>(
    calendarId: string,
    write: IdempotencyWrite | undefined,
    work: (session: ClientSession) => Promise<T>,
  ): Promise<IdempotentResult<T>> {
    try {
      return await transaction(async (session): Promise<IdempotentResult<T>> => {
        if (write !== undefined) {
          const existing = await idempotency.findOne({ calendarId, key: write.key }, { session })
          if (existing !== null) {
            const record = idempotencyFromDocument(existing)
            if (!isExpired(record.createdAt, write.createdAt)) return { kind: 'replay', record }
            await idempotency.deleteOne({ _id: existing._id }, { session })
          }
          await idempotency.insertOne(idempotencyToDocument(calendarId, write), { session })
        }
        return { kind: 'done', value: await work(session) }
      })
    } catch (error) {
      // A concurrent request with the same key committed first (the unique index refused ours): replay it.
      if (write !== undefined && isDuplicateKey(error)) {
        const record = await findIdempotencyRecord(calendarId, write.key, write.createdAt)
        if (record !== null) return { kind: 'replay', record }
      }
      throw error
    }
  }

  /**
   * Deletes through `remove` (null when there is nothing to delete) in `idempotently`'s transaction. When
   * `remove` finds nothing, the transaction is aborted with the key it recorded: a 404 records no key.
   */
  async function deleteIdempotently<T>(
    calendarId: string,
    write: IdempotencyWrite | undefined,
    remove: (session: ClientSession) => Promise<T | null>,
  ): Promise<IdempotentResult<T | null>> {
    try {
      return await idempotently(calendarId, write, async (session) => {
        const removed = await remove(session)
        if (removed === null && write !== undefined) throw new NothingDeleted()
        return removed
      })
    } catch (error) {
      if (error instanceof NothingDeleted) return { kind: 'done', value: null }
      throw error
    }
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

  const store: Store = {
    kind: 'mongodb',

    ping: () =>
      guarded(async () => {
        await db.admin().ping()
      }),

    close: () => client.close(),

    getCalendar: (calendarId) =>
      guarded(async () => {
        const document = await calendars.findOne({ _id: calendarId })
        return document === null ? null : calendarFromDocument(document)
      }),

    ensureCalendar: (initial) =>
      guarded(async () => {
        const { _id, ...fields } = calendarToDocument(initial)
        const document = await calendars.findOneAndUpdate(
          { _id },
          { $setOnInsert: fields },
          { upsert: true, returnDocument: 'after' },
        )
        return document === null ? initial : calendarFromDocument(document)
      }),

    putCalendar: (settings, write) =>
      guarded(async () => {
        await ensureRevision(settings.id)
        return idempotently(settings.id, write, async (session) => {
          await calendars.replaceOne({ _id: settings.id }, calendarToDocument(settings), {
            upsert: true,
            session,
          })
          await bumpRevision(session, settings.id)
          return settings
        })
      }),

    submit: (submission) =>
      guarded(async () => {
        const { event } = submission
        if (event !== undefined) assertWritable(event)
        // An occupying event is held to the overlap rule as a plan's events are (and serialised with them).
        const occupies = event !== undefined && isPlacedAndOccupying(event)
        if (occupies) await ensureRevision(event.calendarId)
        if (event !== undefined) await changeLog.prepare([event.calendarId])
        return idempotently(submission.calendarId, submission.idempotency, async (session) => {
          if (event !== undefined) {
            if (occupies) await bumpRevision(session, event.calendarId)
            await events.insertOne(eventToDocument(event), { session })
            await assertNoOverlap(session, submission.job.id, [event])
            const { id, calendarId, updatedAt } = event
            await changeLog.record(session, [{ calendarId, eventId: id, deleted: false }], updatedAt)
          }
          await jobs.insertOne(jobToDocument(submission.job), { session })
          return { job: submission.job, event: event ?? null }
        })
      }),

    findIdempotency: (calendarId, key, now) => guarded(() => findIdempotencyRecord(calendarId, key, now)),

    getEvent: (calendarId, id) =>
      guarded(async () => {
        const document = await events.findOne({ _id: recordKey(calendarId, id) })
        return document === null ? null : eventFromDocument(document)
      }),

    listEvents: (calendarId, query) =>
      guarded(async () => {
        await changeLog.prepare([calendarId])
        return transaction((session) => changeLog.listPage(session, events, calendarId, query))
      }),

    syncEvents: (calendarId, query) =>
      guarded(async () => {
        await changeLog.prepare([calendarId])
        return transaction((session) => changeLog.syncPage(session, events, calendarId, query))
      }),

    occupying: (calendarId, range) =>
      guarded(async () => {
        // An empty range overlaps nothing (not even an event that contains its instant).
        if (range.end <= range.start) return []
        const documents = await events
          .find({
            calendarId,
            status: 'scheduled',
            start: { $lt: toDate(range.end) },
            end: { $gt: toDate(range.start) },
          })
          .sort({ start: 1, _id: 1 })
          .toArray()
        return documents.map(eventFromDocument)
      }),

    getJob: (calendarId, id) =>
      guarded(async () => {
        const document = await jobs.findOne({ _id: recordKey(calendarId, id) })
        return document === null ? null : jobFromDocument(document)
      }),

    startJob: (calendarId, jobId) =>
      guarded(async () => {
        const started = await jobs.findOneAndUpdate(
          { _id: recordKey(calendarId, jobId), state: 'queued' },
          { $set: { state: 'active' } },
          { returnDocument: 'after' },
        )
        if (started !== null) return jobFromDocument(started)
        const document = await jobs.findOne({ _id: recordKey(calendarId, jobId) })
        return document === null ? null : jobFromDocument(document)
      }),

    unfinishedJobs: (createdBefore, limit) =>
      guarded(async () => {
        const count = atMost(limit)
        if (count === 0) return []
        const documents = await jobs
          .find({ state: { $in: ['queued', 'active'] }, createdAt: { $lt: toDate(createdBefore) } })
          .sort({ createdAt: 1, _id: 1 })
          .limit(count)
          .toArray()
        return documents.map(jobFromDocument)
      }),

    applyPlan: (plan) =>
      guarded(async () => {
        // One write per id, the last record winning (as a plan that lists an event twice means).
        const upserts = [...new Map(plan.upserts.map((event) => [event.id, event])).values()]
        for (const event of upserts) assertWritable(event)
        // Every calendar whose events the plan writes is serialised, not only the job's own.
        const calendarIds = [...new Set([plan.calendarId, ...upserts.map((event) => event.calendarId)])]
        for (const calendarId of calendarIds) await ensureRevision(calendarId)
        await changeLog.prepare(calendarIds)
        await transaction(async (session) => {
          const job = await jobs.findOne(
            { _id: recordKey(plan.calendarId, plan.jobId) },
            { session, projection: { state: 1 } },
          )
          if (job === null) throw new Error(`Job ${plan.jobId} does not exist in calendar ${plan.calendarId}`)
          if (job.state === 'completed' || job.state === 'failed') {
            throw new StaleJobError(`Job ${plan.jobId} is already ${job.state}`)
          }
          for (const calendarId of calendarIds) await bumpRevision(session, calendarId)
          if (upserts.length > 0) {
            await events.bulkWrite(
              upserts.map((event) => ({
                replaceOne: {
                  filter: { _id: recordKey(event.calendarId, event.id) },
                  replacement: eventToDocument(event),
                  upsert: true,
                },
              })),
              { session, ordered: true },
            )
          }
          if (plan.deletions.length > 0) {
            await events.deleteMany(
              { _id: { $in: plan.deletions.map((id) => recordKey(plan.calendarId, id)) } },
              { session },
            )
            // Their attachments disappear with them, in this transaction; the bytes follow after it.
            await attachmentFiles.updateMany(
              {
                'metadata.calendarId': plan.calendarId,
                'metadata.eventId': { $in: plan.deletions },
                'metadata.state': 'stored',
              },
              { $set: { 'metadata.state': 'deleting' } },
              { session },
            )
          }
          await assertNoOverlap(session, plan.jobId, upserts)
          const written: EventWrite[] = [
            ...upserts.map((event) => ({ calendarId: event.calendarId, eventId: event.id, deleted: false })),
            ...plan.deletions.map((eventId) => ({ calendarId: plan.calendarId, eventId, deleted: true })),
          ]
          await changeLog.record(session, written, plan.job.finishedAt)
          await jobs.updateOne(
            { _id: recordKey(plan.calendarId, plan.jobId) },
            {
              $set: {
                state: plan.job.state,
                outcome: outcomeToDocument(plan.job.outcome),
                error: errorToDocument(plan.job.error),
                finishedAt: toDate(plan.job.finishedAt),
              },
            },
            { session },
          )
          if (plan.messages.length > 0) {
            await outbox.insertMany(plan.messages.map(messageToDocument), { session })
          }
        })
        if (plan.deletions.length > 0) {
          // GridFS is not transactional: the deleted events' attachment bytes are removed right after the
          // commit. The plan is applied either way; a removal cut short here is finished by purgeExpired.
          await gridFs
            .removeDeleting({
              'metadata.calendarId': plan.calendarId,
              'metadata.eventId': { $in: plan.deletions },
            })
            .catch(() => undefined)
        }
      }),

    failJob: async (calendarId, jobId, error, at, toMessage) => {
      const job = await store.getJob(calendarId, jobId)
      // A job that is already finished keeps its outcome.
      if (job === null || job.state === 'completed' || job.state === 'failed') return null
      const event = await store.getEvent(calendarId, job.eventId)
      const plan = planJobFailure({ job, event, error, now: at })
      try {
        // The job's state is checked again inside `applyPlan`'s transaction (StaleJobError if it finished).
        await store.applyPlan({
          calendarId,
          jobId,
          upserts: plan.upserts,
          deletions: plan.deletions,
          job: { ...plan.job, finishedAt: at },
          messages: plan.notifications.map((notification) => toMessage(notification, at)),
        })
      } catch (failure) {
        if (failure instanceof StaleJobError) return null
        throw failure
      }
      return plan
    },

    applyPlans: (batch) =>
      guarded(async () => {
        const { calendarId, plans } = batch
        // The calendar after every plan in order: the last record of each event, or its deletion.
        const final = new Map<string, EventRecord | null>()
        for (const plan of plans) {
          for (const event of plan.upserts) final.set(event.id, event)
          for (const id of plan.deletions) final.set(id, null)
        }
        const upserts = [...final.values()].flatMap((event) => (event === null ? [] : [event]))
        const deletions = [...final.entries()].flatMap(([id, event]) => (event === null ? [id] : []))
        for (const event of upserts) {
          assertWritable(event)
          if (event.calendarId !== calendarId)
            throw new Error(`Event ${event.id} is not in calendar ${calendarId}`)
        }
        await ensureRevision(calendarId)
        await changeLog.prepare([calendarId])
        const revision = await transaction(async (session) => {
          // Writing the revision document first serialises this batch with every other placement write.
          const bumped = await revisions.findOneAndUpdate(
            { _id: calendarId },
            { $inc: { revision: 1, placementRevision: 1 } },
            { session, returnDocument: 'after' },
          )
          const current = (bumped?.placementRevision ?? 1) - 1
          if (current !== batch.expectedRevision) {
            throw new RevisionMovedError(
              `Calendar ${calendarId} is at revision ${current}, the plans were made at ${batch.expectedRevision}`,
            )
          }
          const jobIds = plans.map((plan) => plan.jobId)
          const found = await jobs
            .find(
              { _id: { $in: jobIds.map((id) => recordKey(calendarId, id)) } },
              { session, projection: { state: 1 } },
            )
            .toArray()
          const stateOf = new Map(found.map((job) => [job._id.id, job.state]))
          for (const jobId of jobIds) {
            const state = stateOf.get(jobId)
            if (state === undefined) throw new Error(`Job ${jobId} does not exist in calendar ${calendarId}`)
            if (state === 'completed' || state === 'failed') {
              throw new StaleJobError(`Job ${jobId} is already ${state}`)
            }
          }
          if (upserts.length > 0) {
            await events.bulkWrite(
              upserts.map((event) => ({
                replaceOne: {
                  filter: { _id: recordKey(calendarId, event.id) },
                  replacement: eventToDocument(event),
                  upsert: true,
                },
              })),
              { session, ordered: true },
            )
          }
          if (deletions.length > 0) {
            await events.deleteMany(
              { _id: { $in: deletions.map((id) => recordKey(calendarId, id)) } },
              { session },
            )
            await attachmentFiles.updateMany(
              {
                'metadata.calendarId': calendarId,
                'metadata.eventId': { $in: deletions },
                'metadata.state': 'stored',
              },
              { $set: { 'metadata.state': 'deleting' } },
              { session },
            )
          }
          await assertNoOverlap(session, jobIds.join(', '), upserts)
          const written: EventWrite[] = [
            ...upserts.map((event) => ({ calendarId, eventId: event.id, deleted: false })),
            ...deletions.map((eventId) => ({ calendarId, eventId, deleted: true })),
          ]
          await changeLog.record(session, written, Math.max(...plans.map((plan) => plan.job.finishedAt)))
          await jobs.bulkWrite(
            plans.map((plan: StorePlan) => ({
              updateOne: {
                filter: { _id: recordKey(calendarId, plan.jobId) },
                update: {
                  $set: {
                    state: plan.job.state,
                    outcome: outcomeToDocument(plan.job.outcome),
                    error: errorToDocument(plan.job.error),
                    finishedAt: toDate(plan.job.finishedAt),
                  },
                },
              },
            })),
            { session, ordered: true },
          )
          const messages = plans.flatMap((plan) => plan.messages)
          if (messages.length > 0) await outbox.insertMany(messages.map(messageToDocument), { session })
          return current + 1
        })
        if (deletions.length > 0) {
          await gridFs
            .removeDeleting({ 'metadata.calendarId': calendarId, 'metadata.eventId': { $in: deletions } })
            .catch(() => undefined)
        }
        return { revision }
      }),

    loadCalendar: (calendarId, from) =>
      guarded(async () => {
        await ensureRevision(calendarId)
        // One snapshot: the revision read here is the one the events and busy times belong to.
        return transaction(async (session): Promise<CalendarSnapshot | null> => {
          const calendar = await calendars.findOne({ _id: calendarId }, { session })
          if (calendar === null) return null
          const revision = await revisions.findOne({ _id: calendarId }, { session })
          // Only what placement reads, streamed: the calendar keeps these placements, not the documents.
          const placements: PlacedEvent[] = []
          const cursor = events
            .find(
              { calendarId, status: 'scheduled', end: { $gt: toDate(from) } },
              { session, projection: { _id: 1, start: 1, end: 1, placement: 1, attendees: 1 } },
            )
            .sort({ start: 1, _id: 1 })
          for await (const document of cursor) {
            if (document.start === null || document.end === null) continue
            placements.push({
              id: document._id.id,
              start: document.start.getTime(),
              end: document.end.getTime(),
              placement: document.placement,
              attendees:
                document.attendees.length === 0
                  ? NO_ATTENDEES
                  : document.attendees.map(({ email, name, required }) =>
                      typeof name === 'string' ? { email, name, required } : { email, required },
                    ),
            })
          }
          const busyDocuments = await busy
            .find({ calendarId }, { session })
            .sort({ email: 1, start: 1, end: 1 })
            .toArray()
          const busyByEmail = new Map<string, Interval[]>()
          for (const document of busyDocuments) {
            const list = busyByEmail.get(document.email) ?? []
            list.push(busyFromDocument(document))
            busyByEmail.set(document.email, list)
          }
          return {
            settings: calendarFromDocument(calendar),
            revision: revision?.placementRevision ?? 0,
            from,
            events: placements,
            busy: busyByEmail,
          }
        })
      }),

    loadJobs: (calendarId, jobIds, eventIds = []) =>
      guarded(async () => {
        const jobDocuments =
          jobIds.length === 0
            ? []
            : await jobs.find({ _id: { $in: jobIds.map((id) => recordKey(calendarId, id)) } }).toArray()
        const byId = new Map(jobDocuments.map((document) => [document._id.id, jobFromDocument(document)]))
        const found = jobIds.flatMap((id) => byId.get(id) ?? [])
        const wanted = [...new Set([...found.map((job) => job.eventId), ...eventIds])]
        if (wanted.length === 0) return { jobs: found, events: [] }
        const eventDocuments = await events
          .find({ _id: { $in: wanted.map((id) => recordKey(calendarId, id)) } })
          .toArray()
        return { jobs: found, events: eventDocuments.map(eventFromDocument) }
      }),

    putBusy: (calendarId, email, intervals, write) =>
      guarded(async () => {
        await ensureRevision(calendarId)
        const address = normalizeEmail(email)
        return idempotently(calendarId, write, async (session) => {
          await bumpRevision(session, calendarId)
          await busy.deleteMany({ calendarId, email: address }, { session })
          if (intervals.length > 0) {
            await busy.insertMany(
              intervals.map((interval) => busyToDocument(calendarId, address, interval)),
              { session },
            )
          }
          return intervals
        })
      }),

    getBusy: (calendarId, email) =>
      guarded(async () => {
        const documents = await busy
          .find({ calendarId, email: normalizeEmail(email) })
          .sort({ start: 1, end: 1 })
          .toArray()
        return documents.map(busyFromDocument)
      }),

    busyOverlapping: (calendarId, emails, range) =>
      guarded(async () => {
        if (emails.length === 0) return []
        const documents = await busy
          .find({
            calendarId,
            email: { $in: emails.map(normalizeEmail) },
            start: { $lt: toDate(range.end) },
            end: { $gt: toDate(range.start) },
          })
          .sort({ start: 1, end: 1 })
          .toArray()
        return documents.map(busyFromDocument)
      }),

    putAttachment: (meta, bytes, write) =>
      guarded(async () => {
        checkAttachment(meta, bytes)
        await ensureRevision(meta.calendarId)
        // One transaction, as PostgreSQL's: the key is claimed first (a replay writes nothing), then the
        // event checked and the bytes written; a failure anywhere leaves no chunk and no key behind.
        return idempotently(meta.calendarId, write, async (session) => {
          const event = await events.findOne(
            { _id: recordKey(meta.calendarId, meta.eventId) },
            { session, projection: { _id: 1 } },
          )
          if (event === null) throw eventNotFound(meta)
          // Plans increment the revision too: a plan that deletes the event either commits first (the
          // event is gone when this runs again) or conflicts and runs after this (and marks the file).
          await bumpRevision(session, meta.calendarId)
          // A second attachment with this id under this event: refused by `attachments_id` (→ DuplicateIdError).
          await gridFs.write(session, meta, bytes)
          return meta
        })
      }),

    listAttachments: (calendarId, eventId) =>
      guarded(async () => {
        const documents = await attachmentFiles
          .find({
            'metadata.calendarId': calendarId,
            'metadata.eventId': eventId,
            'metadata.state': 'stored',
          })
          .sort({ 'metadata.createdAt': 1, 'metadata.attachmentId': 1 })
          .toArray()
        return documents.map(attachmentFromDocument)
      }),

    getAttachment: (calendarId, eventId, id) =>
      guarded(async () => {
        const filter = {
          'metadata.calendarId': calendarId,
          'metadata.eventId': eventId,
          'metadata.attachmentId': id,
          'metadata.state': 'stored' as const,
        }
        const document = await attachmentFiles.findOne(filter)
        if (document === null) return null
        try {
          return { meta: attachmentFromDocument(document), bytes: await gridFs.read(document._id) }
        } catch (error) {
          // Deleted while it was being read: as if it had been deleted before.
          if ((await attachmentFiles.findOne(filter, { projection: { _id: 1 } })) === null) return null
          throw error
        }
      }),

    deleteAttachment: (calendarId, eventId, id, write) =>
      guarded(async () => {
        const result = await deleteIdempotently(calendarId, write, async (session) => {
          const marked = await attachmentFiles.findOneAndUpdate(
            {
              'metadata.calendarId': calendarId,
              'metadata.eventId': eventId,
              'metadata.attachmentId': id,
              'metadata.state': 'stored',
            },
            { $set: { 'metadata.state': 'deleting' } },
            { projection: { _id: 1 }, session },
          )
          return marked === null ? null : marked._id
        })
        if (result.kind === 'done' && result.value !== null) {
          // Invisible from here on; a removal cut short is finished by purgeExpired.
          await gridFs.removeDeleting({ _id: result.value }).catch(() => undefined)
        }
        return deletedOf(result)
      }),

    ...makeMongoFeedTokens({ db, idempotently, deleteIdempotently }),

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

    purgeExpired: (before) =>
      guarded(async () => {
        const cutoff = toDate(before)
        await idempotency.deleteMany({ createdAt: { $lt: cutoff } })
        // A job finishes after it is created, so the `createdAt` bound changes nothing but lets the
        // (state, createdAt) index narrow the scan.
        await jobs.deleteMany({
          state: { $in: ['completed', 'failed'] },
          createdAt: { $lt: cutoff },
          finishedAt: { $lt: cutoff },
        })
        await outbox.deleteMany({ dispatchedAt: { $lt: cutoff } })
        await deliveries.deleteMany({ at: { $lt: cutoff } })
        // Uploads that earlier versions left pending, removals that a crash cut short, and chunks of an
        // upload whose abort failed too.
        await attachmentFiles.updateMany(
          { 'metadata.state': 'pending', uploadDate: { $lt: cutoff } },
          { $set: { 'metadata.state': 'deleting' } },
        )
        await gridFs.removeDeleting({})
        await gridFs.removeOrphanChunks(cutoff)
      }),

    purgeEventChanges: (before) => guarded(() => changeLog.purge(before)),
  }
  return store
}
