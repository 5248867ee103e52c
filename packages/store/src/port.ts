import type {
  AttachmentRecord,
  CalendarSettings,
  CalendarSnapshot,
  DeliveryRecord,
  EventRecord,
  EventStatus,
  FeedTokenRecord,
  Instant,
  Interval,
  JobPlan,
  JobRecord,
  Notification,
  OutboxMessage,
  WebhookRecord,
} from '@scheduler/core'

// The records the wire shares with the store live in the domain; re-exported for the store's consumers.
export type {
  AttachmentRecord,
  DeliveryRecord,
  FeedTokenRecord,
  OutboxMessage,
  WebhookRecord,
} from '@scheduler/core'

/**
 * The calendar store, in the domain's terms: the intersection of one port per aggregate below. Two adapters
 * implement it (PostgreSQL, MongoDB), one file per aggregate each, and one conformance suite (`test/`, one
 * file per aggregate) holds both to the same behaviour. Consumers narrow it to what they use, with
 * `Pick<Store, …>` or a port.
 *
 * Writers: the API only calls `submit*`, webhook and attendee/attachment methods; the placement worker is the only
 * caller of `applyPlans` / `applyPlan`, the one way an event's placement changes. Every write that affects
 * placement bumps the calendar's revision (see `PlanBatch`).
 */
export interface Store
  extends StoreConnection,
    CalendarSettingsPort,
    EventPort,
    PlacementPort,
    BusyTimePort,
    AttachmentPort,
    WebhookPort,
    IdempotencyPort,
    FeedTokenPort,
    HousekeepingPort {}

/** The connection every adapter holds. */
export interface StoreConnection {
  /** Resolves when the store answers; rejects otherwise (used by /readyz). */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Calendar settings (the placement policy of one calendar). */
export interface CalendarSettingsPort {
  getCalendar(calendarId: string): Promise<CalendarSettings | null>
  /** Inserts the settings unless the calendar exists; answers what is stored. */
  ensureCalendar(initial: CalendarSettings): Promise<CalendarSettings>
  putCalendar(
    settings: CalendarSettings,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<CalendarSettings>>
}

/** Events and their jobs: intake (the API persists before it acknowledges), reads, sync, job state. */
export interface EventPort {
  /**
   * Atomically: inserts `event` when given (a create), inserts `job` (state `queued`), and records the
   * idempotency key with the answer. When the key exists (unexpired) nothing is written and the stored
   * record is returned instead. Rejects with `OverlapError` when `event` occupies time that another
   * occupying event of the calendar occupies, and with `DuplicateIdError` when the calendar holds an event
   * or job with the same id.
   */
  submit(submission: Submission): Promise<IdempotentResult<{ job: JobRecord; event: EventRecord | null }>>
  getEvent(calendarId: string, id: string): Promise<EventRecord | null>
  /**
   * One page of a listing. Paging with `nextCursor` never skips an event that matches throughout: after
   * the last page in sort order, the listing answers the matching events changed since it began (by id).
   * The last page (`nextCursor: null`) carries `syncToken`, the listing's starting point in the change log.
   * Throws `InvalidCursorError` for a cursor of another order or a malformed one.
   */
  listEvents(calendarId: string, query: EventListQuery): Promise<EventPage>
  /**
   * Every event created, changed or deleted since `query.syncToken` was issued, each once (in its state
   * now; deleted ones as tombstones), by id; the last page carries the next token. Commit-safe: a change
   * whose transaction began before the token was issued but committed after it is answered. Throws
   * `SyncTokenExpiredError` for a token that is malformed, of another calendar or database, or older than
   * the change history kept (`purgeEventChanges`), and `InvalidCursorError` for a cursor of another token.
   */
  syncEvents(calendarId: string, query: EventSyncQuery): Promise<EventChangePage>
  /** Events whose stored status is `scheduled` and whose [start, end) overlaps `range`, by start. */
  occupying(calendarId: string, range: Interval): Promise<EventRecord[]>
  getJob(calendarId: string, id: string): Promise<JobRecord | null>

  /**
   * Marks a `queued` job `active` and answers it; answers a job in any other state unchanged
   * (so a redelivered job can be recognised as done); null when unknown.
   */
  startJob(calendarId: string, jobId: string): Promise<JobRecord | null>
  /** Jobs still `queued` or `active` that were created before `createdBefore`, oldest first (the reconciler). */
  unfinishedJobs(createdBefore: Instant, limit: number): Promise<JobRecord[]>
}

/** The placement worker's aggregate: the calendar it plans against and the plans it applies. */
export interface PlacementPort {
  /**
   * Applies a plan in one transaction: every event write, every deletion, the job's final state and the
   * outbox messages. Rejects with `StaleJobError` when the job is already finished (a re-run changes nothing)
   * and with `OverlapError` when an occupying event would overlap another (the database's guarantee).
   */
  applyPlan(plan: StorePlan): Promise<void>
  /**
   * The placement worker's batch: applies every plan of `batch` in one transaction, each exactly as
   * `applyPlan` would (event writes, deletions, the job's final state, the outbox messages, in order),
   * after checking that the calendar's revision is still `batch.expectedRevision`; answers the new
   * revision (the expected one plus one). Rejects, writing nothing, with `RevisionMovedError` when the
   * revision moved, `StaleJobError` when a job of the batch is finished already, `OverlapError` when the
   * events would overlap (the database's guarantee).
   */
  applyPlans(batch: PlanBatch): Promise<{ revision: number }>
  /**
   * What the placement worker plans against, read in one consistent snapshot: the settings, the
   * calendar's revision, the placement (id, time, placement, attendees) of every stored-`scheduled` event
   * that ends after `from` by start then id, every registered busy time. Null when the calendar has no
   * settings.
   */
  loadCalendar(calendarId: string, from: Instant): Promise<CalendarSnapshot | null>
  /**
   * The jobs of `jobIds` and the events of those jobs and of `eventIds` (those that exist), in one read;
   * unknown ids are left out.
   */
  loadJobs(
    calendarId: string,
    jobIds: string[],
    eventIds?: string[],
  ): Promise<{ jobs: JobRecord[]; events: EventRecord[] }>
  /**
   * Finishes a job as failed for good (out of retries, or unrecoverable), in one transaction with what that
   * means for its event (core's `planJobFailure`): an event still `pending` becomes `failed` with the failure
   * code `NOT_APPLIED`, and the `event.failed` outbox message (built by `toMessage`) is written with it, so
   * no job failure leaves its event pending. Answers the plan applied, or null when the job is unknown or
   * already finished (it keeps its outcome; calling this again changes nothing).
   */
  failJob(
    calendarId: string,
    jobId: string,
    error: { code: string; message: string },
    at: Instant,
    toMessage: (notification: Notification, at: Instant) => OutboxMessage,
  ): Promise<JobPlan | null>
}

/** Attendees' busy times (follow-up 1). */
export interface BusyTimePort {
  /**
   * Replaces the attendee's busy times (the email compared lower-cased) and answers them, recording the
   * idempotency key with them when given (a stored, unexpired key answers its record and writes nothing).
   */
  putBusy(
    calendarId: string,
    email: string,
    busy: Interval[],
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<Interval[]>>
  getBusy(calendarId: string, email: string): Promise<Interval[]>
  /** The busy intervals of any of `emails` that overlap `range`. */
  busyOverlapping(calendarId: string, emails: string[], range: Interval): Promise<Interval[]>
}

/** Attachments (follow-up 2): direct writes, not placement jobs (they do not touch the calendar's time). */
export interface AttachmentPort {
  /**
   * Stores an attachment of an existing event, and records the idempotency key with it when given (a
   * stored, unexpired key answers its record instead and stores nothing). Rejects with `EventNotFoundError`
   * when the event does not exist, also when it is deleted concurrently, and with `DuplicateIdError` when
   * the event has an attachment with the same id.
   */
  putAttachment(
    meta: AttachmentRecord,
    bytes: Buffer,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<AttachmentRecord>>
  /** The event's attachments, oldest first (by `createdAt`, then id); empty for an unknown event. */
  listAttachments(calendarId: string, eventId: string): Promise<AttachmentRecord[]>
  getAttachment(
    calendarId: string,
    eventId: string,
    id: string,
  ): Promise<{ meta: AttachmentRecord; bytes: Buffer } | null>
  /**
   * Answers `done` with false when the event has no such attachment. The idempotency key, when given, is
   * recorded with the deletion (a stored, unexpired key answers its record and deletes nothing); a deletion
   * that finds nothing records no key.
   */
  deleteAttachment(
    calendarId: string,
    eventId: string,
    id: string,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<boolean>>
}

/** Webhooks with their outbox and delivery log (issue 4). */
export interface WebhookPort {
  createWebhook(
    webhook: WebhookRecord,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<WebhookRecord>>
  listWebhooks(calendarId: string): Promise<WebhookRecord[]>
  getWebhook(calendarId: string, id: string): Promise<WebhookRecord | null>
  /**
   * Answers `done` with false when there was no such webhook. The idempotency key, when given, is recorded
   * with the deletion (a stored, unexpired key answers its record and deletes nothing); a deletion that
   * finds nothing records no key.
   */
  deleteWebhook(
    calendarId: string,
    id: string,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<boolean>>
  /** Outbox messages not yet handed to the delivery queue, oldest first. */
  undispatchedMessages(limit: number): Promise<OutboxMessage[]>
  markDispatched(messageIds: string[], at: Instant): Promise<void>
  getMessage(id: string): Promise<OutboxMessage | null>
  recordDelivery(delivery: DeliveryRecord): Promise<void>
  listDeliveries(calendarId: string, webhookId: string, limit: number): Promise<DeliveryRecord[]>
}

/** Idempotency records (written with the write they answer, through each write's `IdempotencyWrite`). */
export interface IdempotencyPort {
  /** A stored, unexpired idempotency record for the key, if any. */
  findIdempotency(calendarId: string, key: string, now: Instant): Promise<IdempotencyRecord | null>
}

/** The worker's housekeeping. */
export interface HousekeepingPort {
  /** Removes idempotency records, finished jobs and dispatched messages older than `before`. */
  purgeExpired(before: Instant): Promise<void>
  /**
   * Removes the change history (and so the tombstones) recorded before `before`; sync tokens issued before
   * the removed changes answer `SyncTokenExpiredError` from then on.
   */
  purgeEventChanges(before: Instant): Promise<void>
}

export interface IdempotencyWrite {
  key: string
  /** A hash of method, path and body: the same key with another request is a 422. */
  requestHash: string
  /** The answer to replay (status code and JSON body). */
  response: { status: number; body: unknown }
  createdAt: Instant
}

export interface IdempotencyRecord extends IdempotencyWrite {
  calendarId: string
}

export type IdempotentResult<T> = { kind: 'done'; value: T } | { kind: 'replay'; record: IdempotencyRecord }

export interface Submission {
  calendarId: string
  job: JobRecord
  event?: EventRecord
  idempotency?: IdempotencyWrite
}

export interface EventListQuery {
  /** Occupying time overlaps [from, to). Events without a time never match a time filter. */
  from?: Instant
  to?: Instant
  /** Client statuses; `in_progress`/`completed` are derived with `now`. */
  statuses?: EventStatus[]
  updatedSince?: Instant
  limit: number
  order: 'start' | 'updated'
  /** Opaque, from a previous page with the same order. */
  cursor?: string
  /** The clock used to derive statuses. */
  now: Instant
}

export interface EventPage {
  items: EventRecord[]
  nextCursor: string | null
  /** On the last page (`nextCursor: null`) only: where `syncEvents` continues from. */
  syncToken: string | null
}

export interface EventSyncQuery {
  /** A `syncToken` from a listing's or a sync's last page. */
  syncToken: string
  limit: number
  /** Opaque, from a previous page of the same sync. */
  cursor?: string
}

/** A change since a sync token: the event as it is now, or a deleted event's tombstone. */
export type EventChange =
  | { kind: 'event'; event: EventRecord }
  | { kind: 'deleted'; id: string; deletedAt: Instant }

export interface EventChangePage {
  items: EventChange[]
  nextCursor: string | null
  /** On the last page (`nextCursor: null`) only: the token for the next sync. */
  syncToken: string | null
}

export interface StorePlan {
  calendarId: string
  jobId: string
  /** Full records to write (insert or replace by id); each must carry its new version and sequence. */
  upserts: EventRecord[]
  deletions: string[]
  job: {
    state: 'completed' | 'failed'
    outcome: JobRecord['outcome']
    error: JobRecord['error']
    finishedAt: Instant
  }
  messages: OutboxMessage[]
}

/**
 * Plans made one after another against the same calendar, committed together. Every write that affects
 * placement and does not come from a batch (calendar settings, busy times, `applyPlan`, `failJob`) bumps
 * the calendar's revision in its own transaction, so a batch planned against an older revision is refused.
 */
export interface PlanBatch {
  calendarId: string
  /** The revision the plans were made against. */
  expectedRevision: number
  plans: StorePlan[]
}

/** The job was finished already: a redelivered job must change nothing. */
export class StaleJobError extends Error {
  override name = 'StaleJobError'
}

/** The calendar changed since the batch was planned (its revision moved): reload and plan again. */
export class RevisionMovedError extends Error {
  override name = 'RevisionMovedError'
}

/** Two occupying events would overlap: refused by the store itself. */
export class OverlapError extends Error {
  override name = 'OverlapError'
}

/** The store cannot be reached (connection refused, timed out): callers answer 503 or retry. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
}

/** The event an attachment was written for does not exist (or was deleted meanwhile): callers answer 404. */
export class EventNotFoundError extends Error {
  override name = 'EventNotFoundError'
}

/**
 * A sync token that is malformed, unknown (another calendar, another database) or older than the change
 * history kept: callers answer 410 Gone, and the client lists everything again.
 */
export class SyncTokenExpiredError extends Error {
  override name = 'SyncTokenExpiredError'
}

/** A list cursor that is malformed or belongs to another order: callers answer 400. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError'
}

/**
 * A record with the same key exists already: the same id in the same calendar (events, jobs, webhooks,
 * attachments of one event), or the same outbox message or delivery id. Ids are generated by the
 * service, so this is a caller's bug or a replayed write, never a lost one: callers answer 409.
 */
export class DuplicateIdError extends Error {
  override name = 'DuplicateIdError'
}

/** The feed-token aggregate of the store (issue 13). Revoking a token deletes it. */
export interface FeedTokenPort {
  /**
   * Stores a new token and records the idempotency key with it when given (a stored, unexpired key answers
   * its record instead and stores nothing).
   */
  createFeedToken(
    token: FeedTokenRecord,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<FeedTokenRecord>>
  /** The calendar's tokens, oldest first (by `createdAt`, then id). */
  listFeedTokens(calendarId: string): Promise<FeedTokenRecord[]>
  /** The token whose SHA-256 is `tokenHash` (lower-case hex), in any calendar; null when unknown or revoked. */
  findFeedTokenByHash(tokenHash: string): Promise<FeedTokenRecord | null>
  /**
   * Revokes (deletes) a token; answers `done` with false when the calendar has no such token. The
   * idempotency key, when given, is recorded with the deletion; a deletion that finds nothing records no key.
   */
  deleteFeedToken(
    calendarId: string,
    id: string,
    idempotency?: IdempotencyWrite,
  ): Promise<IdempotentResult<boolean>>
}
