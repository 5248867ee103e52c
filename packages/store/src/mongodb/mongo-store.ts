import { type Db, type DbOptions, MongoClient, ReadConcern, WriteConcern } from 'mongodb'
import type { Store } from '../port.js'
import { makeMongoAttachments } from './mongo-attachments.js'
import { makeMongoBusyTimes } from './mongo-busy-times.js'
import { makeMongoCalendars } from './mongo-calendars.js'
import { collectionsOf, createIndexes } from './mongo-collections.js'
import { makeMongoContext } from './mongo-context.js'
import { toStoreError } from './mongo-errors.js'
import { createEventChangeIndexes, eventChangeCollections } from './mongo-event-changes.js'
import { makeMongoEvents } from './mongo-events.js'
import { createFeedTokenIndexes, makeMongoFeedTokens } from './mongo-feed-tokens.js'
import { makeMongoHousekeeping } from './mongo-housekeeping.js'
import { makeIdempotentWrites, makeMongoIdempotency } from './mongo-idempotency.js'
import { makeMongoPlacement } from './mongo-placement.js'
import { makeMongoWebhooks } from './mongo-webhooks.js'

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

function mongoStore(client: MongoClient, db: Db, timeoutMs: number): Store {
  const shared = makeMongoContext(client, db, timeoutMs)
  const context = { ...shared, ...makeIdempotentWrites(shared) }
  const { guarded } = context
  const events = makeMongoEvents(context)
  return {
    ping: () =>
      guarded(async () => {
        await db.admin().ping()
      }),

    close: () => client.close(),

    ...makeMongoCalendars(context),
    ...events,
    ...makeMongoPlacement(context, events),
    ...makeMongoBusyTimes(context),
    ...makeMongoAttachments(context),
    ...makeMongoWebhooks(context),
    ...makeMongoIdempotency(context),
    ...makeMongoFeedTokens(context),
    ...makeMongoHousekeeping(context),
  }
}
