import type { Db } from 'mongodb'
import type {
  AttachmentChunkDocument,
  AttachmentFileDocument,
  BusyDocument,
  CalendarDocument,
  DeliveryDocument,
  EventDocument,
  IdempotencyDocument,
  JobDocument,
  OutboxDocument,
  RevisionDocument,
  WebhookDocument,
} from './mongo-documents.js'

/** The GridFS bucket that holds attachments. */
export const ATTACHMENT_BUCKET = 'attachments'

/** The store's collections, typed by their documents. */
export function collectionsOf(db: Db) {
  return {
    calendars: db.collection<CalendarDocument>('calendars'),
    revisions: db.collection<RevisionDocument>('calendar_revisions'),
    events: db.collection<EventDocument>('events'),
    jobs: db.collection<JobDocument>('jobs'),
    idempotency: db.collection<IdempotencyDocument>('idempotency_keys'),
    busy: db.collection<BusyDocument>('attendee_busy'),
    webhooks: db.collection<WebhookDocument>('webhooks'),
    outbox: db.collection<OutboxDocument>('outbox_messages'),
    deliveries: db.collection<DeliveryDocument>('webhook_deliveries'),
    // The GridFS bucket `attachments` (ATTACHMENT_BUCKET), read and written directly where GridFS's own
    // API does not suffice (filters on metadata, state changes inside transactions).
    attachmentFiles: db.collection<AttachmentFileDocument>(`${ATTACHMENT_BUCKET}.files`),
    attachmentChunks: db.collection<AttachmentChunkDocument>(`${ATTACHMENT_BUCKET}.chunks`),
  }
}

export type Collections = ReturnType<typeof collectionsOf>

/**
 * Creates the indexes every query relies on. `createIndexes` does nothing for an index that already exists
 * with the same name and keys, so this runs at every start; a changed definition fails loudly instead of
 * being replaced behind the operator's back.
 */
export async function createIndexes(collections: Collections): Promise<void> {
  await collections.events.createIndexes([
    // Occupying events by time: `occupying`, the overlap check of `applyPlan`. A lookup bounded by the
    // range's end scans every earlier event, one bounded by its start every later one; the planner picks.
    { key: { calendarId: 1, status: 1, start: 1 }, name: 'events_occupying_start' },
    { key: { calendarId: 1, status: 1, end: 1 }, name: 'events_occupying_end' },
    // The two list orders, with their keyset tie-breakers (`_id` is { calendarId, id }: by id within
    // the calendar).
    { key: { calendarId: 1, startSort: 1, createdAt: 1, _id: 1 }, name: 'events_by_start' },
    { key: { calendarId: 1, updatedAt: 1, _id: 1 }, name: 'events_by_updated' },
  ])
  await collections.jobs.createIndexes([
    { key: { state: 1, createdAt: 1, _id: 1 }, name: 'jobs_by_state_created' },
  ])
  await collections.idempotency.createIndexes([
    { key: { calendarId: 1, key: 1 }, name: 'idempotency_key', unique: true },
    { key: { createdAt: 1 }, name: 'idempotency_created' },
  ])
  await collections.busy.createIndexes([
    { key: { calendarId: 1, email: 1, start: 1 }, name: 'busy_by_attendee' },
  ])
  await collections.webhooks.createIndexes([
    { key: { calendarId: 1, createdAt: 1, _id: 1 }, name: 'webhooks_by_calendar' },
  ])
  await collections.outbox.createIndexes([
    { key: { dispatchedAt: 1, createdAt: 1, position: 1 }, name: 'outbox_by_dispatch' },
  ])
  await collections.deliveries.createIndexes([
    { key: { calendarId: 1, webhookId: 1, at: 1, position: 1 }, name: 'deliveries_by_webhook' },
    { key: { at: 1 }, name: 'deliveries_by_time' },
  ])
  await collections.attachmentFiles.createIndexes([
    // An event's attachments, in list order; also finds one by id within its event.
    {
      key: {
        'metadata.calendarId': 1,
        'metadata.eventId': 1,
        'metadata.createdAt': 1,
        'metadata.attachmentId': 1,
      },
      name: 'attachments_by_event',
    },
    // Housekeeping: uploads left pending or deleting by a crash.
    { key: { 'metadata.state': 1, uploadDate: 1 }, name: 'attachments_by_state' },
    // An attachment id is unique within its event, as PostgreSQL's primary key (calendar_id, event_id,
    // id) is. Only visible files count: a file being removed does not block its id.
    {
      key: { 'metadata.calendarId': 1, 'metadata.eventId': 1, 'metadata.attachmentId': 1 },
      name: 'attachments_id',
      unique: true,
      partialFilterExpression: { 'metadata.state': 'stored' },
    },
  ])
  // GridFS's own chunk index (the name and keys the driver would create on a bucket's first upload):
  // attachments are written inside transactions, not through the bucket, so it is created here.
  await collections.attachmentChunks.createIndexes([
    { key: { files_id: 1, n: 1 }, name: 'files_id_1_n_1', unique: true },
  ])
}
