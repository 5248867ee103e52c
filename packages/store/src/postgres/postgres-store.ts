import {
  type Attendee,
  type CalendarSettings,
  type CalendarSnapshot,
  type Interval,
  type JobPlan,
  type PlacedEvent,
  type Placement,
  planJobFailure,
} from '@scheduler/core'
import pg from 'pg'
import { checkAttachment } from '../attachment-checks.js'
import {
  type AttachmentRecord,
  type DeliveryRecord,
  EventNotFoundError,
  type IdempotencyRecord,
  type IdempotencyWrite,
  type IdempotentResult,
  type PlanBatch,
  RevisionMovedError,
  StaleJobError,
  type Store,
  type StorePlan,
  type Submission,
  type WebhookRecord,
} from '../port.js'
import { ensureDatabase, errorCode, inTransaction, mapError, migrate, type Queryable } from './connection.js'
import { listEventsPage, purgeChangesBefore, syncEventsPage } from './event-sync.js'
import { makePostgresFeedTokens } from './postgres-feed-tokens.js'
import {
  ATTACHMENT_COLUMNS,
  type AttachmentRow,
  attachmentFromRecord,
  attachmentToRecord,
  type CalendarRow,
  calendarToRecord,
  DELIVERY_COLUMNS,
  type DeliveryRow,
  deliveryFromRecord,
  deliveryToRecord,
  EVENT_COLUMNS,
  type EventRow,
  eventFromRecord,
  eventToRecord,
  type IdempotencyRow,
  idempotencyToRecord,
  JOB_COLUMNS,
  type JobRow,
  jobFromRecord,
  jobToRecord,
  MESSAGE_COLUMNS,
  type MessageRow,
  messageFromRecord,
  messageToRecord,
  toJson,
  toTimestamp,
  type WebhookRow,
  webhookFromRecord,
  webhookToRecord,
} from './rows.js'

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number
  /**
   * How long to wait for a connection before failing with `StoreUnavailableError` (default 2000, or
   * `queryTimeoutMs` when that is shorter).
   */
  connectTimeoutMs?: number
  /**
   * How long one statement may take, in ms, before it fails with `StoreUnavailableError` (default 10000):
   * the client gives up then on a server that stopped answering; the server cancels a statement that
   * runs that long itself a little earlier.
   */
  queryTimeoutMs?: number
}

const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
// Two plans that wait on each other (their commit-time overlap checks, or rows they both move) can
// be aborted by PostgreSQL's deadlock detector; running the plan again then sees the winner's rows and
// either succeeds or fails cleanly with OverlapError.
const DEADLOCK_DETECTED = '40P01'
const SERIALIZATION_FAILURE = '40001'
const FOREIGN_KEY_VIOLATION = '23503'
const PLAN_ATTEMPTS = 5
// Bind parameters per statement are limited to 65535; multi-row inserts are cut into chunks of this many rows.
const ROWS_PER_INSERT = 500
// Rows per page when the placement worker loads a calendar.
const SNAPSHOT_PAGE = 5000

/** The SQL types of `EVENT_COLUMNS` and `MESSAGE_COLUMNS`, in their order (for `insertColumns`). */
const EVENT_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'integer',
  'text',
  'jsonb',
  'timestamptz',
  'timestamptz',
  'timestamptz',
  'text',
  'jsonb',
  'jsonb',
  'boolean',
  'integer',
  'integer',
  'timestamptz',
  'timestamptz',
] as const
const MESSAGE_TYPES = ['text', 'text', 'text', 'text', 'jsonb', 'timestamptz', 'timestamptz'] as const

const EVENT_UPDATES = EVENT_COLUMNS.filter((c) => c !== 'calendar_id' && c !== 'id')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ')
const DELIVERY_UPDATES = DELIVERY_COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ')

/**
 * Opens the PostgreSQL adapter: creates the database named in `url` when it is missing, applies the
 * migrations (safe when several processes start at once) and answers a store backed by a connection pool.
 * Rejects with `StoreUnavailableError` when the server cannot be reached.
 */
export async function createPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(2000, queryTimeoutMs)
  await ensureDatabase(url, connectTimeoutMs)
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
    // The client-side limit catches a server that stopped answering; the server's own limit fires first.
    statement_timeout: Math.max(1, Math.floor(queryTimeoutMs * 0.9)),
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: 30_000,
  })
  // An idle connection that dies (server restart) is dropped by the pool; the next query reports it.
  pool.on('error', () => {})
  try {
    await migrate(pool)
  } catch (error) {
    await pool.end()
    throw error
  }
  return makePostgresStore(pool)
}

function makePostgresStore(pool: pg.Pool): Store {
  let closed = false

  async function query<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
    try {
      const result = await pool.query<R>(text, params)
      return result.rows
    } catch (error) {
      throw mapError(error)
    }
  }

  return {
    kind: 'postgres',

    async ping() {
      await query('SELECT 1')
    },

    async close() {
      if (closed) return
      closed = true
      await pool.end()
    },

    async getCalendar(calendarId) {
      const rows = await query<CalendarRow>(
        'SELECT calendar_id, settings FROM calendars WHERE calendar_id = $1',
        [calendarId],
      )
      return rows[0] === undefined ? null : calendarToRecord(rows[0])
    },

    async ensureCalendar(initial) {
      const rows = await query<CalendarRow>(
        `WITH inserted AS (
           INSERT INTO calendars (calendar_id, settings) VALUES ($1, $2)
           ON CONFLICT (calendar_id) DO NOTHING
           RETURNING calendar_id, settings
         )
         SELECT calendar_id, settings FROM inserted
         UNION ALL
         SELECT calendar_id, settings FROM calendars WHERE calendar_id = $1
         LIMIT 1`,
        [initial.id, toJson(initial)],
      )
      if (rows[0] !== undefined) return calendarToRecord(rows[0])
      // A concurrent insert committed after this statement's snapshot: read it now.
      const stored = await query<CalendarRow>(
        'SELECT calendar_id, settings FROM calendars WHERE calendar_id = $1',
        [initial.id],
      )
      return stored[0] === undefined ? initial : calendarToRecord(stored[0])
    },

    async putCalendar(settings, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<CalendarSettings>> => {
        const replay = await claimIdempotency(client, settings.id, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        await client.query(
          `INSERT INTO calendars (calendar_id, settings, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (calendar_id) DO UPDATE
             SET settings = EXCLUDED.settings, updated_at = now(), revision = calendars.revision + 1`,
          [settings.id, toJson(settings)],
        )
        return { kind: 'done', value: settings }
      })
    },

    async submit(submission: Submission) {
      const { calendarId, job, event, idempotency } = submission
      return inTransaction(pool, async (client): Promise<Awaited<ReturnType<Store['submit']>>> => {
        const replay = await claimIdempotency(client, calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        if (event !== undefined) await insertRows(client, 'events', EVENT_COLUMNS, [eventFromRecord(event)])
        await insertRows(client, 'jobs', JOB_COLUMNS, [jobFromRecord(job)])
        return { kind: 'done', value: { job, event: event ?? null } }
      })
    },

    async findIdempotency(calendarId, key, now) {
      const rows = await query<IdempotencyRow>(
        `SELECT calendar_id, key, request_hash, response, created_at FROM idempotency_keys
         WHERE calendar_id = $1 AND key = $2 AND created_at > $3`,
        [calendarId, key, toTimestamp(now - IDEMPOTENCY_TTL_MS)],
      )
      return rows[0] === undefined ? null : idempotencyToRecord(rows[0])
    },

    async getEvent(calendarId, id) {
      const rows = await query<EventRow>('SELECT * FROM events WHERE calendar_id = $1 AND id = $2', [
        calendarId,
        id,
      ])
      return rows[0] === undefined ? null : eventToRecord(rows[0])
    },

    async listEvents(calendarId, listQuery) {
      return listEventsPage(pool, calendarId, listQuery)
    },

    async syncEvents(calendarId, syncQuery) {
      return syncEventsPage(pool, calendarId, syncQuery)
    },

    async occupying(calendarId, range) {
      if (range.end < range.start) return []
      const rows = await query<EventRow>(
        `SELECT * FROM events
         WHERE calendar_id = $1 AND status = 'scheduled'
           AND tstzrange(start_at, end_at, '[)') && tstzrange($2::timestamptz, $3::timestamptz, '[)')
         ORDER BY start_at, id`,
        [calendarId, toTimestamp(range.start), toTimestamp(range.end)],
      )
      return rows.map(eventToRecord)
    },

    async getJob(calendarId, id) {
      const rows = await query<JobRow>('SELECT * FROM jobs WHERE calendar_id = $1 AND id = $2', [
        calendarId,
        id,
      ])
      return rows[0] === undefined ? null : jobToRecord(rows[0])
    },

    async startJob(calendarId, jobId) {
      const started = await query<JobRow>(
        `UPDATE jobs SET state = 'active' WHERE calendar_id = $1 AND id = $2 AND state = 'queued'
         RETURNING *`,
        [calendarId, jobId],
      )
      const row =
        started[0] ??
        (await query<JobRow>('SELECT * FROM jobs WHERE calendar_id = $1 AND id = $2', [calendarId, jobId]))[0]
      return row === undefined ? null : jobToRecord(row)
    },

    async unfinishedJobs(createdBefore, limit) {
      const rows = await query<JobRow>(
        `SELECT * FROM jobs WHERE state IN ('queued', 'active') AND created_at < $1
         ORDER BY created_at, id LIMIT $2`,
        [toTimestamp(createdBefore), limit],
      )
      return rows.map(jobToRecord)
    },

    async applyPlan(plan) {
      for (let attempt = 1; ; attempt++) {
        try {
          await inTransaction(pool, (client) => writePlan(client, plan))
          return
        } catch (error) {
          const code = errorCode(error)
          const retryable = code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE
          if (!retryable || attempt >= PLAN_ATTEMPTS) throw error
        }
      }
    },

    async applyPlans(batch) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(pool, (client) => writePlans(client, batch))
        } catch (error) {
          const code = errorCode(error)
          const retryable = code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE
          if (!retryable || attempt >= PLAN_ATTEMPTS) throw error
        }
      }
    },

    async loadCalendar(calendarId, from) {
      // One snapshot: the revision read here is the one the events and busy times belong to.
      return inTransaction(pool, async (client): Promise<CalendarSnapshot | null> => {
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        const calendar = await client.query<CalendarRow & { revision: string }>(
          'SELECT calendar_id, settings, revision FROM calendars WHERE calendar_id = $1',
          [calendarId],
        )
        const row = calendar.rows[0]
        if (row === undefined) return null
        // Only what placement reads (no titles, descriptions…), times as epoch ms numbers, no attendee
        // list where there is none, through a cursor: one scan, and one page of driver rows held at a time
        // next to the placements the calendar keeps.
        await client.query({
          text: `DECLARE placements NO SCROLL CURSOR FOR
             SELECT id, (extract(epoch FROM start_at) * 1000)::float8, (extract(epoch FROM end_at) * 1000)::float8,
               placement, CASE WHEN attendees = '[]'::jsonb THEN NULL ELSE attendees END
             FROM events WHERE calendar_id = $1 AND status = 'scheduled' AND end_at > $2
             ORDER BY start_at, id`,
          values: [calendarId, toTimestamp(from)],
        })
        const events: PlacedEvent[] = []
        for (;;) {
          const page = await client.query<PlacementRow>({
            text: `FETCH ${SNAPSHOT_PAGE} FROM placements`,
            rowMode: 'array',
          })
          for (const [id, start, end, placement, attendees] of page.rows)
            events.push({ id, start, end, placement, attendees: attendees ?? NO_ATTENDEES })
          if (page.rows.length < SNAPSHOT_PAGE) break
        }
        const busyRows = await client.query<IntervalRow & { email: string }>(
          `SELECT email, start_at, end_at FROM attendee_busy WHERE calendar_id = $1
           ORDER BY email, start_at, end_at`,
          [calendarId],
        )
        const busy = new Map<string, Interval[]>()
        for (const b of busyRows.rows) {
          const list = busy.get(b.email) ?? []
          list.push(intervalToRecord(b))
          busy.set(b.email, list)
        }
        return {
          settings: calendarToRecord(row),
          revision: Number(row.revision),
          from,
          events,
          busy,
        }
      })
    },

    async loadJobs(calendarId, jobIds, eventIds = []) {
      const jobRows =
        jobIds.length === 0
          ? []
          : await query<JobRow>('SELECT * FROM jobs WHERE calendar_id = $1 AND id = ANY($2::text[])', [
              calendarId,
              jobIds,
            ])
      const byId = new Map(jobRows.map((row) => [row.id, jobToRecord(row)]))
      const jobs = jobIds.flatMap((id) => byId.get(id) ?? [])
      const wanted = [...new Set([...jobs.map((job) => job.eventId), ...eventIds])]
      if (wanted.length === 0) return { jobs, events: [] }
      const eventRows = await query<EventRow>(
        'SELECT * FROM events WHERE calendar_id = $1 AND id = ANY($2::text[])',
        [calendarId, wanted],
      )
      return { jobs, events: eventRows.map(eventToRecord) }
    },

    async failJob(calendarId, jobId, error, at, toMessage) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(pool, async (client): Promise<JobPlan | null> => {
            const locked = await client.query<JobRow>(
              'SELECT * FROM jobs WHERE calendar_id = $1 AND id = $2 FOR UPDATE',
              [calendarId, jobId],
            )
            const job = locked.rows[0] === undefined ? null : jobToRecord(locked.rows[0])
            // A job that is already finished keeps its outcome.
            if (job === null || job.state === 'completed' || job.state === 'failed') return null
            const found = await client.query<EventRow>(
              'SELECT * FROM events WHERE calendar_id = $1 AND id = $2 FOR UPDATE',
              [calendarId, job.eventId],
            )
            const event = found.rows[0] === undefined ? null : eventToRecord(found.rows[0])
            const plan = planJobFailure({ job, event, error, now: at })
            await writePlan(client, {
              calendarId,
              jobId,
              upserts: plan.upserts,
              deletions: plan.deletions,
              job: { ...plan.job, finishedAt: at },
              messages: plan.notifications.map((notification) => toMessage(notification, at)),
            })
            return plan
          })
        } catch (failure) {
          const code = errorCode(failure)
          const retryable = code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE
          if (!retryable || attempt >= PLAN_ATTEMPTS) throw failure
        }
      }
    },

    async putBusy(calendarId, email, busy, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<Interval[]>> => {
        const replay = await claimIdempotency(client, calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        const address = email.toLowerCase()
        await bumpRevision(client, calendarId)
        await client.query('DELETE FROM attendee_busy WHERE calendar_id = $1 AND email = $2', [
          calendarId,
          address,
        ])
        if (busy.length > 0) {
          await client.query(
            `INSERT INTO attendee_busy (calendar_id, email, start_at, end_at)
             SELECT $1, $2, s, e FROM unnest($3::timestamptz[], $4::timestamptz[]) AS t(s, e)`,
            [calendarId, address, busy.map((b) => toTimestamp(b.start)), busy.map((b) => toTimestamp(b.end))],
          )
        }
        return { kind: 'done', value: busy }
      })
    },

    async getBusy(calendarId, email) {
      const rows = await query<IntervalRow>(
        `SELECT start_at, end_at FROM attendee_busy WHERE calendar_id = $1 AND email = $2
         ORDER BY start_at, end_at`,
        [calendarId, email.toLowerCase()],
      )
      return rows.map(intervalToRecord)
    },

    async busyOverlapping(calendarId, emails, range) {
      if (emails.length === 0) return []
      const rows = await query<IntervalRow>(
        `SELECT start_at, end_at FROM attendee_busy
         WHERE calendar_id = $1 AND email = ANY($2::text[]) AND start_at < $4 AND end_at > $3
         ORDER BY start_at, end_at`,
        [calendarId, emails.map((e) => e.toLowerCase()), toTimestamp(range.start), toTimestamp(range.end)],
      )
      return rows.map(intervalToRecord)
    },

    async putAttachment(meta, bytes, idempotency) {
      checkAttachment(meta, bytes)
      try {
        return await inTransaction(pool, async (client): Promise<IdempotentResult<AttachmentRecord>> => {
          const replay = await claimIdempotency(client, meta.calendarId, idempotency)
          if (replay !== null) return { kind: 'replay', record: replay }
          await client.query(
            `INSERT INTO attachments (${ATTACHMENT_COLUMNS.join(', ')}, content)
             VALUES (${placeholders(ATTACHMENT_COLUMNS.length + 1)})`,
            [...attachmentFromRecord(meta), bytes],
          )
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
      return rows.map(attachmentToRecord)
    },

    async getAttachment(calendarId, eventId, id) {
      const rows = await query<AttachmentRow & { content: Buffer }>(
        `SELECT ${ATTACHMENT_COLUMNS.join(', ')}, content FROM attachments
         WHERE calendar_id = $1 AND event_id = $2 AND id = $3`,
        [calendarId, eventId, id],
      )
      const row = rows[0]
      return row === undefined ? null : { meta: attachmentToRecord(row), bytes: row.content }
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

    async createWebhook(webhook, idempotency) {
      return inTransaction(pool, async (client): Promise<IdempotentResult<WebhookRecord>> => {
        const replay = await claimIdempotency(client, webhook.calendarId, idempotency)
        if (replay !== null) return { kind: 'replay', record: replay }
        await client.query(
          `INSERT INTO webhooks (calendar_id, id, url, events, description, secret, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          webhookFromRecord(webhook),
        )
        return { kind: 'done', value: webhook }
      })
    },

    async listWebhooks(calendarId) {
      const rows = await query<WebhookRow>(
        'SELECT * FROM webhooks WHERE calendar_id = $1 ORDER BY created_at, id',
        [calendarId],
      )
      return rows.map(webhookToRecord)
    },

    async getWebhook(calendarId, id) {
      const rows = await query<WebhookRow>('SELECT * FROM webhooks WHERE calendar_id = $1 AND id = $2', [
        calendarId,
        id,
      ])
      return rows[0] === undefined ? null : webhookToRecord(rows[0])
    },

    async deleteWebhook(calendarId, id, idempotency) {
      return deleteIdempotently(pool, calendarId, idempotency, async (client) => {
        const deleted = await client.query(
          'DELETE FROM webhooks WHERE calendar_id = $1 AND id = $2 RETURNING id',
          [calendarId, id],
        )
        return deleted.rows.length > 0
      })
    },

    async undispatchedMessages(limit) {
      const rows = await query<MessageRow>(
        `SELECT * FROM outbox_messages WHERE dispatched_at IS NULL
         ORDER BY created_at, position LIMIT $1`,
        [limit],
      )
      return rows.map(messageToRecord)
    },

    async markDispatched(messageIds, at) {
      if (messageIds.length === 0) return
      await query(
        `UPDATE outbox_messages SET dispatched_at = $2
         WHERE id = ANY($1::text[]) AND dispatched_at IS NULL`,
        [messageIds, toTimestamp(at)],
      )
    },

    async getMessage(id) {
      const rows = await query<MessageRow>('SELECT * FROM outbox_messages WHERE id = $1', [id])
      return rows[0] === undefined ? null : messageToRecord(rows[0])
    },

    async recordDelivery(delivery: DeliveryRecord) {
      await query(
        `INSERT INTO webhook_deliveries (${DELIVERY_COLUMNS.join(', ')})
         VALUES (${placeholders(DELIVERY_COLUMNS.length)})
         ON CONFLICT (id) DO UPDATE SET ${DELIVERY_UPDATES}`,
        deliveryFromRecord(delivery),
      )
    },

    async listDeliveries(calendarId, webhookId, limit) {
      const rows = await query<DeliveryRow>(
        `SELECT * FROM webhook_deliveries WHERE calendar_id = $1 AND webhook_id = $2
         ORDER BY at DESC, position DESC LIMIT $3`,
        [calendarId, webhookId, limit],
      )
      return rows.map(deliveryToRecord)
    },

    ...makePostgresFeedTokens({ pool, query, claimIdempotency, deleteIdempotently }),

    async purgeExpired(before) {
      const cutoff = toTimestamp(before)
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM idempotency_keys WHERE created_at < $1', [cutoff])
        await client.query(`DELETE FROM jobs WHERE state IN ('completed', 'failed') AND finished_at < $1`, [
          cutoff,
        ])
        await client.query(
          'DELETE FROM outbox_messages WHERE dispatched_at IS NOT NULL AND dispatched_at < $1',
          [cutoff],
        )
        await client.query('DELETE FROM webhook_deliveries WHERE at < $1', [cutoff])
      })
    },

    async purgeEventChanges(before) {
      await inTransaction(pool, (client) => purgeChangesBefore(client, before))
    },
  }
}

/**
 * Records the idempotency key first, so a concurrent duplicate waits on the key and then replays.
 * Answers the stored record when an unexpired one exists (nothing is written then); an expired one is
 * replaced. `now` is the write's own `createdAt`.
 */
async function claimIdempotency(
  client: Queryable,
  calendarId: string,
  write: IdempotencyWrite | undefined,
): Promise<IdempotencyRecord | null> {
  if (write === undefined) return null
  const claimed = await client.query(
    `INSERT INTO idempotency_keys (calendar_id, key, request_hash, response, created_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (calendar_id, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, created_at = EXCLUDED.created_at
       WHERE idempotency_keys.created_at <= $6
     RETURNING key`,
    [
      calendarId,
      write.key,
      write.requestHash,
      toJson(write.response),
      toTimestamp(write.createdAt),
      toTimestamp(write.createdAt - IDEMPOTENCY_TTL_MS),
    ],
  )
  if (claimed.rows.length > 0) return null
  const stored = await client.query<IdempotencyRow>(
    `SELECT calendar_id, key, request_hash, response, created_at FROM idempotency_keys
     WHERE calendar_id = $1 AND key = $2`,
    [calendarId, write.key],
  )
  const row = stored.rows[0]
  if (row === undefined) throw new Error(`Idempotency key ${write.key} vanished while it was being claimed`)
  return idempotencyToRecord(row)
}

/** Rolls back a deletion that found nothing, together with the key it claimed. */
class NothingDeleted extends Error {
  override name = 'NothingDeleted'
}

/**
 * Runs `remove` in a transaction that records the idempotency key first (as `claimIdempotency` does), so a
 * concurrent duplicate waits on the key and then replays. When `remove` finds nothing, the claim is rolled
 * back with it: a 404 records no key.
 */
async function deleteIdempotently(
  pool: pg.Pool,
  calendarId: string,
  write: IdempotencyWrite | undefined,
  remove: (client: Queryable) => Promise<boolean>,
): Promise<IdempotentResult<boolean>> {
  try {
    return await inTransaction(pool, async (client): Promise<IdempotentResult<boolean>> => {
      const replay = await claimIdempotency(client, calendarId, write)
      if (replay !== null) return { kind: 'replay', record: replay }
      const deleted = await remove(client)
      if (!deleted && write !== undefined) throw new NothingDeleted()
      return { kind: 'done', value: deleted }
    })
  } catch (error) {
    if (error instanceof NothingDeleted) return { kind: 'done', value: false }
    throw error
  }
}

/** Bumps the calendar's revision (see migration 3): the placement worker's calendar is then stale. */
async function bumpRevision(client: Queryable, calendarId: string): Promise<number | null> {
  const bumped = await client.query<{ revision: string }>(
    'UPDATE calendars SET revision = revision + 1 WHERE calendar_id = $1 RETURNING revision',
    [calendarId],
  )
  const row = bumped.rows[0]
  return row === undefined ? null : Number(row.revision)
}

/**
 * A batch of plans in set-based statements: the revision check (the calendar row locked until commit),
 * the jobs locked and checked, then one upsert of every event's last record, one deletion, one update of
 * the jobs and one insert of the outbox messages in plan order, and the revision bumped.
 */
async function writePlans(client: pg.PoolClient, batch: PlanBatch): Promise<{ revision: number }> {
  const { calendarId, plans } = batch
  const locked = await client.query<{ revision: string }>(
    'SELECT revision FROM calendars WHERE calendar_id = $1 FOR UPDATE',
    [calendarId],
  )
  const current = locked.rows[0]
  if (current === undefined) throw new Error(`Calendar ${calendarId} does not exist`)
  if (Number(current.revision) !== batch.expectedRevision) {
    throw new RevisionMovedError(
      `Calendar ${calendarId} is at revision ${current.revision}, the plans were made at ${batch.expectedRevision}`,
    )
  }
  const jobIds = plans.map((plan) => plan.jobId)
  const states = await client.query<{ id: string; state: string }>(
    'SELECT id, state FROM jobs WHERE calendar_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE',
    [calendarId, jobIds],
  )
  const stateOf = new Map(states.rows.map((row) => [row.id, row.state]))
  for (const jobId of jobIds) {
    const state = stateOf.get(jobId)
    if (state === undefined) throw new Error(`Job ${jobId} does not exist in calendar ${calendarId}`)
    if (state === 'completed' || state === 'failed')
      throw new StaleJobError(`Job ${jobId} is already ${state}`)
  }
  // The calendar after every plan in order: the last record of each event, or its deletion.
  const final = new Map<string, StorePlan['upserts'][number] | null>()
  for (const plan of plans) {
    for (const event of plan.upserts) final.set(event.id, event)
    for (const id of plan.deletions) final.set(id, null)
  }
  const upserts = [...final.values()].flatMap((event) => (event === null ? [] : [event]))
  const deletions = [...final.entries()].flatMap(([id, event]) => (event === null ? [id] : []))
  await insertColumns(
    client,
    'events',
    EVENT_COLUMNS,
    EVENT_TYPES,
    upserts.map(eventFromRecord),
    `ON CONFLICT (calendar_id, id) DO UPDATE SET ${EVENT_UPDATES}`,
  )
  if (deletions.length > 0) {
    await client.query('DELETE FROM events WHERE calendar_id = $1 AND id = ANY($2::text[])', [
      calendarId,
      deletions,
    ])
  }
  await client.query(
    `UPDATE jobs AS j SET state = v.state, outcome = v.outcome, error = v.error, finished_at = v.finished_at
     FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[])
       AS v(id, state, outcome, error, finished_at)
     WHERE j.calendar_id = $1 AND j.id = v.id`,
    [
      calendarId,
      jobIds,
      plans.map((plan) => plan.job.state),
      plans.map((plan) => (plan.job.outcome === null ? null : toJson(plan.job.outcome))),
      plans.map((plan) => (plan.job.error === null ? null : toJson(plan.job.error))),
      plans.map((plan) => toTimestamp(plan.job.finishedAt)),
    ],
  )
  await insertColumns(
    client,
    'outbox_messages',
    MESSAGE_COLUMNS,
    MESSAGE_TYPES,
    plans.flatMap((plan) => plan.messages.map(messageFromRecord)),
  )
  const revision = await bumpRevision(client, calendarId)
  return { revision: revision ?? batch.expectedRevision + 1 }
}

async function writePlan(client: pg.PoolClient, plan: StorePlan): Promise<void> {
  const { calendarId, jobId } = plan
  const locked = await client.query<{ state: string }>(
    'SELECT state FROM jobs WHERE calendar_id = $1 AND id = $2 FOR UPDATE',
    [calendarId, jobId],
  )
  const state = locked.rows[0]?.state
  if (state === undefined) throw new Error(`Job ${jobId} does not exist in calendar ${calendarId}`)
  if (state === 'completed' || state === 'failed') {
    throw new StaleJobError(`Job ${jobId} is already ${state}`)
  }
  // One row per id: an upsert statement may not touch the same row twice; the last record wins.
  const upserts = [...new Map(plan.upserts.map((e) => [e.id, e])).values()]
  await insertRows(
    client,
    'events',
    EVENT_COLUMNS,
    upserts.map(eventFromRecord),
    `ON CONFLICT (calendar_id, id) DO UPDATE SET ${EVENT_UPDATES}`,
  )
  if (plan.deletions.length > 0) {
    // Their attachments go with them (attachments_event_fk cascades), in this transaction.
    await client.query('DELETE FROM events WHERE calendar_id = $1 AND id = ANY($2::text[])', [
      calendarId,
      plan.deletions,
    ])
  }
  await client.query(
    `UPDATE jobs SET state = $3, outcome = $4, error = $5, finished_at = $6
     WHERE calendar_id = $1 AND id = $2`,
    [
      calendarId,
      jobId,
      plan.job.state,
      plan.job.outcome === null ? null : toJson(plan.job.outcome),
      plan.job.error === null ? null : toJson(plan.job.error),
      toTimestamp(plan.job.finishedAt),
    ],
  )
  await insertRows(client, 'outbox_messages', MESSAGE_COLUMNS, plan.messages.map(messageFromRecord))
  // A plan from outside the worker's batches (or another worker): the worker's calendar must reload.
  await bumpRevision(client, calendarId)
}

async function insertRows(
  client: Queryable,
  table: string,
  columns: readonly string[],
  rows: unknown[][],
  onConflict = '',
): Promise<void> {
  for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
    const chunk = rows.slice(from, from + ROWS_PER_INSERT)
    const values = chunk.map((_, i) => `(${placeholders(columns.length, i * columns.length)})`).join(', ')
    await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ${onConflict}`,
      chunk.flat(),
    )
  }
}

/**
 * Inserts `rows` (values in the order of `columns`) with one statement of one array parameter per column
 * (`unnest`): a batch of any size binds as many parameters as the table has columns, instead of one per
 * value, which PostgreSQL plans and binds much faster. `types`: each column's SQL type.
 */
async function insertColumns(
  client: Queryable,
  table: string,
  columns: readonly string[],
  types: readonly string[],
  rows: unknown[][],
  onConflict = '',
): Promise<void> {
  if (rows.length === 0) return
  const arrays = columns.map((_, c) => rows.map((row) => row[c]))
  const parameters = types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')
  await client.query(
    `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${parameters}) ${onConflict}`,
    arrays,
  )
}

function placeholders(count: number, offset = 0): string {
  return Array.from({ length: count }, (_, i) => `$${offset + i + 1}`).join(', ')
}

interface IntervalRow {
  start_at: Date
  end_at: Date
}

/** An occupying event as `loadCalendar` reads it: id, start and end (epoch ms), placement, attendees. */
type PlacementRow = [string, number, number, Placement, Attendee[] | null]

/** Shared by every loaded event without attendees. */
const NO_ATTENDEES: readonly never[] = Object.freeze([])

function intervalToRecord(row: IntervalRow): Interval {
  return { start: row.start_at.getTime(), end: row.end_at.getTime() }
}
