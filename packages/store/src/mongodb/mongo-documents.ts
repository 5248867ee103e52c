import type {
  Attendee,
  Blackout,
  CalendarSettings,
  Displacement,
  EventChanges,
  EventRecord,
  Failure,
  Instant,
  Interval,
  JobPayload,
  JobRecord,
  LocalTimeRange,
  Placement,
  PlacementRequest,
  PlacementWindow,
  StoredStatus,
  WebhookEventType,
  Weekday,
} from '@scheduler/core'
import { ObjectId } from 'mongodb'
import type {
  AttachmentRecord,
  DeliveryRecord,
  IdempotencyRecord,
  IdempotencyWrite,
  OutboxMessage,
  WebhookRecord,
} from '../port.js'

// The documents as MongoDB stores them. Instants are BSON dates (readable in the shell, comparable in
// queries); records keep epoch milliseconds. A record that belongs to a calendar is keyed by its calendar
// and its id (`RecordKey`), as PostgreSQL's primary keys (calendar_id, id) are; every document also carries
// `calendarId` at the top so that every query and index can be scoped to one calendar.

/**
 * The `_id` of events, jobs and webhooks: the same id in two calendars is two records. Built only by
 * `recordKey`, so that its fields are always in this order (MongoDB compares embedded documents field by
 * field, in order: equality needs the same order, and `_id` then sorts by calendar, then by id, bytewise
 * as PostgreSQL's "C" collation does).
 */
export interface RecordKey {
  calendarId: string
  id: string
}

/** The `_id` of the record `id` of `calendarId`. */
export function recordKey(calendarId: string, id: string): RecordKey {
  return { calendarId, id }
}

/** The largest JavaScript date: the sort key of an event without a start, so unplaced events sort last. */
export const UNPLACED_SORT_KEY = new Date(8_640_000_000_000_000)

export interface IntervalDocument {
  start: Date
  end: Date
}

export type WindowDocument =
  | { kind: 'date'; date: string }
  | { kind: 'range'; notBefore: Date | null; notAfter: Date | null }
  | null

export interface FailureDocument {
  code: Failure['code']
  message: string
  alternatives: IntervalDocument[]
}

export interface AttendeeDocument {
  email: string
  name?: string
  required: boolean
}

export interface EventDocument {
  _id: RecordKey
  calendarId: string
  title: string
  description: string | null
  location: string | null
  attendees: AttendeeDocument[]
  durationMinutes: number
  placement: Placement
  window: WindowDocument
  requestedStart: Date | null
  start: Date | null
  end: Date | null
  /** `start`, or `UNPLACED_SORT_KEY` when unplaced: one ascending index serves "start, nulls last". */
  startSort: Date
  status: StoredStatus
  failure: FailureDocument | null
  attendeeConflicts: string[]
  outsideWorkingHours: boolean
  version: number
  sequence: number
  createdAt: Date
  updatedAt: Date
}

export interface BlackoutDocument {
  start: Date
  end: Date
  reason: string | null
}

export interface CalendarDocument {
  _id: string
  calendarId: string
  timezone: string
  workingHours: Record<Weekday, LocalTimeRange[]>
  bufferMinutes: number
  slotMinutes: number
  minNoticeMinutes: number
  horizonDays: number
  blackouts: BlackoutDocument[]
}

/** One per calendar; every plan increments it, so two concurrent plans for a calendar write-conflict. */
export interface RevisionDocument {
  _id: string
  calendarId: string
  revision: number
  /**
   * Bumped by every write that affects placement (plans, settings, busy times, failed jobs), not by
   * attachments: the placement worker's calendar is current while it is unchanged. Absent means 0.
   */
  placementRevision?: number
}

export type PlacementRequestDocument =
  | { placement: 'fixed'; start: Date }
  | { placement: 'auto'; window: WindowDocument }

export interface EventChangesDocument {
  title?: string
  description?: string | null
  location?: string | null
  attendees?: AttendeeDocument[]
  durationMinutes?: number
  when?: PlacementRequestDocument
  status?: 'cancelled' | 'completed'
}

export type JobPayloadDocument =
  | { type: 'create' }
  | { type: 'update'; changes: EventChangesDocument; expectedVersion: number | null }
  | { type: 'cancel' }
  | { type: 'delete' }

export interface DisplacementDocument {
  eventId: string
  from: IntervalDocument
  to: IntervalDocument | null
}

export interface JobDocument {
  _id: RecordKey
  calendarId: string
  type: JobRecord['type']
  eventId: string
  state: JobRecord['state']
  payload: JobPayloadDocument
  outcome: { displaced: DisplacementDocument[] } | null
  error: { code: string; message: string } | null
  createdAt: Date
  finishedAt: Date | null
}

/**
 * The answer to replay is kept as JSON text: it is opaque to the store and must come back exactly as it
 * was sent (BSON would turn keys starting with `$`, dates or -0 into something else).
 */
export interface IdempotencyDocument {
  _id?: ObjectId
  calendarId: string
  key: string
  requestHash: string
  responseStatus: number
  /** `JSON.stringify` of the body; null when there was no body. */
  responseBody: string | null
  createdAt: Date
}

export interface BusyDocument {
  _id?: ObjectId
  calendarId: string
  email: string
  start: Date
  end: Date
}

export interface WebhookDocument {
  _id: RecordKey
  calendarId: string
  url: string
  events: WebhookEventType[]
  description: string | null
  secret: string
  createdAt: Date
}

/**
 * The message's `data` is JSON text for the same reason as an idempotent answer: it is sent verbatim.
 * Messages (and deliveries) are keyed by their id alone, as in PostgreSQL: the port reads them by id
 * (`getMessage`, `markDispatched`), and their ids are generated, never named by a client.
 */
export interface OutboxDocument {
  _id: string
  calendarId: string
  type: WebhookEventType
  eventId: string
  data: string | null
  createdAt: Date
  dispatchedAt: Date | null
  /** Insertion order, the tie-breaker among messages created in the same millisecond (one plan's). */
  position: ObjectId
}

export interface DeliveryDocument {
  _id: string
  calendarId: string
  webhookId: string
  messageId: string
  type: WebhookEventType
  eventId: string
  attempt: number
  status: DeliveryRecord['status']
  responseStatus: number | null
  error: string | null
  at: Date
  /** Insertion order, the tie-breaker among attempts recorded in the same millisecond. */
  position: ObjectId
}

/**
 * An attachment's life in GridFS: its chunks and file document are written as `stored` in the
 * transaction that claims the idempotency key and checks the event, and marked `deleting` (in the
 * transaction that deletes its event, or by `deleteAttachment`) before its chunks and file document are
 * removed. Only `stored` attachments are visible; `purgeExpired` finishes what a crash left half done.
 * `pending` is what earlier versions uploaded outside any transaction (purged like `deleting`).
 */
export type AttachmentState = 'pending' | 'stored' | 'deleting'

export interface AttachmentMetadata {
  attachmentId: string
  calendarId: string
  eventId: string
  contentType: string
  sha256: string
  createdAt: Date
  state: AttachmentState
}

/** A GridFS file document of the `attachments` bucket (`attachments.files`). */
export interface AttachmentFileDocument {
  _id: ObjectId
  length: number
  chunkSize: number
  filename: string
  uploadDate: Date
  metadata: AttachmentMetadata
}

/** A GridFS chunk of the `attachments` bucket (`attachments.chunks`). */
export interface AttachmentChunkDocument {
  _id: ObjectId
  files_id: ObjectId
  n: number
  data: unknown
}

export function toDate(instant: Instant): Date {
  return new Date(instant)
}

export function toNullableDate(instant: Instant | null): Date | null {
  return instant === null ? null : new Date(instant)
}

function fromNullableDate(date: Date | null): Instant | null {
  return date === null ? null : date.getTime()
}

function intervalToDocument(interval: Interval): IntervalDocument {
  return { start: toDate(interval.start), end: toDate(interval.end) }
}

function intervalFromDocument(document: IntervalDocument): Interval {
  return { start: document.start.getTime(), end: document.end.getTime() }
}

function windowToDocument(window: PlacementWindow): WindowDocument {
  if (window === null) return null
  if (window.kind === 'date') return { kind: 'date', date: window.date }
  return {
    kind: 'range',
    notBefore: toNullableDate(window.notBefore),
    notAfter: toNullableDate(window.notAfter),
  }
}

function windowFromDocument(document: WindowDocument): PlacementWindow {
  if (document === null) return null
  if (document.kind === 'date') return { kind: 'date', date: document.date }
  return {
    kind: 'range',
    notBefore: fromNullableDate(document.notBefore),
    notAfter: fromNullableDate(document.notAfter),
  }
}

function failureToDocument(failure: Failure | null): FailureDocument | null {
  if (failure === null) return null
  return {
    code: failure.code,
    message: failure.message,
    alternatives: failure.alternatives.map(intervalToDocument),
  }
}

function failureFromDocument(document: FailureDocument | null): Failure | null {
  if (document === null) return null
  return {
    code: document.code,
    message: document.message,
    alternatives: document.alternatives.map(intervalFromDocument),
  }
}

// An absent `name` stays absent (not null) both ways.
function attendeeToDocument(attendee: Attendee): AttendeeDocument {
  const document: AttendeeDocument = { email: attendee.email, required: attendee.required }
  if (attendee.name !== undefined) document.name = attendee.name
  return document
}

function attendeeFromDocument(document: AttendeeDocument): Attendee {
  const attendee: Attendee = { email: document.email, required: document.required }
  if (typeof document.name === 'string') attendee.name = document.name
  return attendee
}

export function eventToDocument(event: EventRecord): EventDocument {
  const start = toNullableDate(event.start)
  return {
    _id: recordKey(event.calendarId, event.id),
    calendarId: event.calendarId,
    title: event.title,
    description: event.description,
    location: event.location,
    attendees: event.attendees.map(attendeeToDocument),
    durationMinutes: event.durationMinutes,
    placement: event.placement,
    window: windowToDocument(event.window),
    requestedStart: toNullableDate(event.requestedStart),
    start,
    end: toNullableDate(event.end),
    startSort: start ?? UNPLACED_SORT_KEY,
    status: event.status,
    failure: failureToDocument(event.failure),
    attendeeConflicts: [...event.attendeeConflicts],
    outsideWorkingHours: event.outsideWorkingHours,
    version: event.version,
    sequence: event.sequence,
    createdAt: toDate(event.createdAt),
    updatedAt: toDate(event.updatedAt),
  }
}

export function eventFromDocument(document: EventDocument): EventRecord {
  return {
    id: document._id.id,
    calendarId: document.calendarId,
    title: document.title,
    description: document.description,
    location: document.location,
    attendees: document.attendees.map(attendeeFromDocument),
    durationMinutes: document.durationMinutes,
    placement: document.placement,
    window: windowFromDocument(document.window),
    requestedStart: fromNullableDate(document.requestedStart),
    start: fromNullableDate(document.start),
    end: fromNullableDate(document.end),
    status: document.status,
    failure: failureFromDocument(document.failure),
    attendeeConflicts: document.attendeeConflicts,
    outsideWorkingHours: document.outsideWorkingHours,
    version: document.version,
    sequence: document.sequence,
    createdAt: document.createdAt.getTime(),
    updatedAt: document.updatedAt.getTime(),
  }
}

export function calendarToDocument(settings: CalendarSettings): CalendarDocument {
  return {
    _id: settings.id,
    calendarId: settings.id,
    timezone: settings.timezone,
    workingHours: settings.workingHours,
    bufferMinutes: settings.bufferMinutes,
    slotMinutes: settings.slotMinutes,
    minNoticeMinutes: settings.minNoticeMinutes,
    horizonDays: settings.horizonDays,
    blackouts: settings.blackouts.map((blackout) => ({
      start: toDate(blackout.start),
      end: toDate(blackout.end),
      reason: blackout.reason,
    })),
  }
}

export function calendarFromDocument(document: CalendarDocument): CalendarSettings {
  return {
    id: document._id,
    timezone: document.timezone,
    workingHours: document.workingHours,
    bufferMinutes: document.bufferMinutes,
    slotMinutes: document.slotMinutes,
    minNoticeMinutes: document.minNoticeMinutes,
    horizonDays: document.horizonDays,
    blackouts: document.blackouts.map(
      (blackout): Blackout => ({
        start: blackout.start.getTime(),
        end: blackout.end.getTime(),
        reason: blackout.reason,
      }),
    ),
  }
}

function placementRequestToDocument(request: PlacementRequest): PlacementRequestDocument {
  return request.placement === 'fixed'
    ? { placement: 'fixed', start: toDate(request.start) }
    : { placement: 'auto', window: windowToDocument(request.window) }
}

function placementRequestFromDocument(document: PlacementRequestDocument): PlacementRequest {
  return document.placement === 'fixed'
    ? { placement: 'fixed', start: document.start.getTime() }
    : { placement: 'auto', window: windowFromDocument(document.window) }
}

// A change's absent fields mean "unchanged" and null means "clear": only present keys are copied.
function changesToDocument(changes: EventChanges): EventChangesDocument {
  const document: EventChangesDocument = {}
  if (changes.title !== undefined) document.title = changes.title
  if (changes.description !== undefined) document.description = changes.description
  if (changes.location !== undefined) document.location = changes.location
  if (changes.attendees !== undefined) document.attendees = changes.attendees.map(attendeeToDocument)
  if (changes.durationMinutes !== undefined) document.durationMinutes = changes.durationMinutes
  if (changes.when !== undefined) document.when = placementRequestToDocument(changes.when)
  if (changes.status !== undefined) document.status = changes.status
  return document
}

function changesFromDocument(document: EventChangesDocument): EventChanges {
  const changes: EventChanges = {}
  if (document.title !== undefined) changes.title = document.title
  if (document.description !== undefined) changes.description = document.description
  if (document.location !== undefined) changes.location = document.location
  if (document.attendees !== undefined) changes.attendees = document.attendees.map(attendeeFromDocument)
  if (document.durationMinutes !== undefined) changes.durationMinutes = document.durationMinutes
  if (document.when !== undefined) changes.when = placementRequestFromDocument(document.when)
  if (document.status !== undefined) changes.status = document.status
  return changes
}

function payloadToDocument(payload: JobPayload): JobPayloadDocument {
  if (payload.type !== 'update') return { type: payload.type }
  return {
    type: 'update',
    changes: changesToDocument(payload.changes),
    expectedVersion: payload.expectedVersion,
  }
}

function payloadFromDocument(document: JobPayloadDocument): JobPayload {
  if (document.type !== 'update') return { type: document.type }
  return {
    type: 'update',
    changes: changesFromDocument(document.changes),
    expectedVersion: document.expectedVersion,
  }
}

export function outcomeToDocument(outcome: JobRecord['outcome']): JobDocument['outcome'] {
  if (outcome === null) return null
  return {
    displaced: outcome.displaced.map((displacement) => ({
      eventId: displacement.eventId,
      from: intervalToDocument(displacement.from),
      to: displacement.to === null ? null : intervalToDocument(displacement.to),
    })),
  }
}

function outcomeFromDocument(document: JobDocument['outcome']): JobRecord['outcome'] {
  if (document === null) return null
  return {
    displaced: document.displaced.map(
      (displacement): Displacement => ({
        eventId: displacement.eventId,
        from: intervalFromDocument(displacement.from),
        to: displacement.to === null ? null : intervalFromDocument(displacement.to),
      }),
    ),
  }
}

export function errorToDocument(error: JobRecord['error']): JobDocument['error'] {
  return error === null ? null : { code: error.code, message: error.message }
}

export function jobToDocument(job: JobRecord): JobDocument {
  return {
    _id: recordKey(job.calendarId, job.id),
    calendarId: job.calendarId,
    type: job.type,
    eventId: job.eventId,
    state: job.state,
    payload: payloadToDocument(job.payload),
    outcome: outcomeToDocument(job.outcome),
    error: errorToDocument(job.error),
    createdAt: toDate(job.createdAt),
    finishedAt: toNullableDate(job.finishedAt),
  }
}

export function jobFromDocument(document: JobDocument): JobRecord {
  return {
    id: document._id.id,
    calendarId: document.calendarId,
    type: document.type,
    eventId: document.eventId,
    state: document.state,
    payload: payloadFromDocument(document.payload),
    outcome: outcomeFromDocument(document.outcome),
    error: document.error === null ? null : { code: document.error.code, message: document.error.message },
    createdAt: document.createdAt.getTime(),
    finishedAt: fromNullableDate(document.finishedAt),
  }
}

function jsonToText(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value)
}

function jsonFromText(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text)
}

export function idempotencyToDocument(calendarId: string, write: IdempotencyWrite): IdempotencyDocument {
  return {
    calendarId,
    key: write.key,
    requestHash: write.requestHash,
    responseStatus: write.response.status,
    responseBody: jsonToText(write.response.body),
    createdAt: toDate(write.createdAt),
  }
}

export function idempotencyFromDocument(document: IdempotencyDocument): IdempotencyRecord {
  return {
    calendarId: document.calendarId,
    key: document.key,
    requestHash: document.requestHash,
    response: { status: document.responseStatus, body: jsonFromText(document.responseBody) },
    createdAt: document.createdAt.getTime(),
  }
}

export function busyToDocument(calendarId: string, email: string, interval: Interval): BusyDocument {
  return { calendarId, email, start: toDate(interval.start), end: toDate(interval.end) }
}

export function busyFromDocument(document: BusyDocument): Interval {
  return intervalFromDocument(document)
}

export function webhookToDocument(webhook: WebhookRecord): WebhookDocument {
  return {
    _id: recordKey(webhook.calendarId, webhook.id),
    calendarId: webhook.calendarId,
    url: webhook.url,
    events: [...webhook.events],
    description: webhook.description,
    secret: webhook.secret,
    createdAt: toDate(webhook.createdAt),
  }
}

export function webhookFromDocument(document: WebhookDocument): WebhookRecord {
  return {
    id: document._id.id,
    calendarId: document.calendarId,
    url: document.url,
    events: document.events,
    description: document.description,
    secret: document.secret,
    createdAt: document.createdAt.getTime(),
  }
}

export function messageToDocument(message: OutboxMessage): OutboxDocument {
  return {
    _id: message.id,
    calendarId: message.calendarId,
    type: message.type,
    eventId: message.eventId,
    data: jsonToText(message.data),
    createdAt: toDate(message.createdAt),
    dispatchedAt: toNullableDate(message.dispatchedAt),
    // Generated here, in the writing process: ObjectIds made by one process increase.
    position: new ObjectId(),
  }
}

export function messageFromDocument(document: OutboxDocument): OutboxMessage {
  return {
    id: document._id,
    calendarId: document.calendarId,
    type: document.type,
    eventId: document.eventId,
    data: jsonFromText(document.data),
    createdAt: document.createdAt.getTime(),
    dispatchedAt: fromNullableDate(document.dispatchedAt),
  }
}

export function deliveryToDocument(delivery: DeliveryRecord): DeliveryDocument {
  return {
    _id: delivery.id,
    calendarId: delivery.calendarId,
    webhookId: delivery.webhookId,
    messageId: delivery.messageId,
    type: delivery.type,
    eventId: delivery.eventId,
    attempt: delivery.attempt,
    status: delivery.status,
    responseStatus: delivery.responseStatus,
    error: delivery.error,
    at: toDate(delivery.at),
    position: new ObjectId(),
  }
}

export function deliveryFromDocument(document: DeliveryDocument): DeliveryRecord {
  return {
    id: document._id,
    calendarId: document.calendarId,
    webhookId: document.webhookId,
    messageId: document.messageId,
    type: document.type,
    eventId: document.eventId,
    attempt: document.attempt,
    status: document.status,
    responseStatus: document.responseStatus,
    error: document.error,
    at: document.at.getTime(),
  }
}

/** The metadata of a new attachment, written `stored` by the transaction that writes it. */
export function attachmentMetadataOf(attachment: AttachmentRecord): AttachmentMetadata {
  return {
    attachmentId: attachment.id,
    calendarId: attachment.calendarId,
    eventId: attachment.eventId,
    contentType: attachment.contentType,
    sha256: attachment.sha256,
    createdAt: toDate(attachment.createdAt),
    state: 'stored',
  }
}

export function attachmentFromDocument(document: AttachmentFileDocument): AttachmentRecord {
  const { metadata } = document
  return {
    id: metadata.attachmentId,
    calendarId: metadata.calendarId,
    eventId: metadata.eventId,
    filename: document.filename,
    contentType: metadata.contentType,
    size: document.length,
    sha256: metadata.sha256,
    createdAt: metadata.createdAt.getTime(),
  }
}
