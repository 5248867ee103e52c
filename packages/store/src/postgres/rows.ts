import type {
  Attendee,
  CalendarSettings,
  EventRecord,
  Failure,
  Instant,
  JobRecord,
  Placement,
  PlacementWindow,
  StoredStatus,
  WebhookEventType,
} from '@scheduler/core'
import type {
  AttachmentRecord,
  DeliveryRecord,
  IdempotencyRecord,
  OutboxMessage,
  WebhookRecord,
} from '../port.js'

// Rows as the driver answers them: timestamptz as Date, jsonb parsed, integer as number.
// Parameters go the other way: instants as ISO strings, JSON as text (the driver would turn a JS array
// into a PostgreSQL array literal, not JSON).

export function toTimestamp(instant: Instant): string
export function toTimestamp(instant: Instant | null): string | null
export function toTimestamp(instant: Instant | null): string | null {
  return instant === null ? null : new Date(instant).toISOString()
}

function toInstant(value: Date): Instant
function toInstant(value: Date | null): Instant | null
function toInstant(value: Date | null): Instant | null {
  return value === null ? null : value.getTime()
}

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null)
}

export interface CalendarRow {
  calendar_id: string
  settings: CalendarSettings
}

export function calendarToRecord(row: CalendarRow): CalendarSettings {
  return { ...row.settings, id: row.calendar_id }
}

export interface EventRow {
  calendar_id: string
  id: string
  title: string
  description: string | null
  location: string | null
  attendees: Attendee[]
  duration_minutes: number
  placement: Placement
  placement_window: PlacementWindow
  requested_start: Date | null
  start_at: Date | null
  end_at: Date | null
  status: StoredStatus
  failure: Failure | null
  attendee_conflicts: string[]
  outside_working_hours: boolean
  version: number
  sequence: number
  created_at: Date
  updated_at: Date
}

/** The events table's columns, in the order of `eventFromRecord`'s values. */
export const EVENT_COLUMNS = [
  'calendar_id',
  'id',
  'title',
  'description',
  'location',
  'attendees',
  'duration_minutes',
  'placement',
  'placement_window',
  'requested_start',
  'start_at',
  'end_at',
  'status',
  'failure',
  'attendee_conflicts',
  'outside_working_hours',
  'version',
  'sequence',
  'created_at',
  'updated_at',
] as const

export function eventToRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    title: row.title,
    description: row.description,
    location: row.location,
    attendees: row.attendees,
    durationMinutes: row.duration_minutes,
    placement: row.placement,
    window: row.placement_window,
    requestedStart: toInstant(row.requested_start),
    start: toInstant(row.start_at),
    end: toInstant(row.end_at),
    status: row.status,
    failure: row.failure,
    attendeeConflicts: row.attendee_conflicts,
    outsideWorkingHours: row.outside_working_hours,
    version: row.version,
    sequence: row.sequence,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  }
}

export function eventFromRecord(event: EventRecord): unknown[] {
  return [
    event.calendarId,
    event.id,
    event.title,
    event.description,
    event.location,
    toJson(event.attendees),
    event.durationMinutes,
    event.placement,
    event.window === null ? null : toJson(event.window),
    toTimestamp(event.requestedStart),
    toTimestamp(event.start),
    toTimestamp(event.end),
    event.status,
    event.failure === null ? null : toJson(event.failure),
    toJson(event.attendeeConflicts),
    event.outsideWorkingHours,
    event.version,
    event.sequence,
    toTimestamp(event.createdAt),
    toTimestamp(event.updatedAt),
  ]
}

export interface JobRow {
  calendar_id: string
  id: string
  type: JobRecord['type']
  event_id: string
  state: JobRecord['state']
  payload: JobRecord['payload']
  outcome: JobRecord['outcome']
  error: JobRecord['error']
  created_at: Date
  finished_at: Date | null
}

export const JOB_COLUMNS = [
  'calendar_id',
  'id',
  'type',
  'event_id',
  'state',
  'payload',
  'outcome',
  'error',
  'created_at',
  'finished_at',
] as const

export function jobToRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    type: row.type,
    eventId: row.event_id,
    state: row.state,
    payload: row.payload,
    outcome: row.outcome,
    error: row.error,
    createdAt: toInstant(row.created_at),
    finishedAt: toInstant(row.finished_at),
  }
}

export function jobFromRecord(job: JobRecord): unknown[] {
  return [
    job.calendarId,
    job.id,
    job.type,
    job.eventId,
    job.state,
    toJson(job.payload),
    job.outcome === null ? null : toJson(job.outcome),
    job.error === null ? null : toJson(job.error),
    toTimestamp(job.createdAt),
    toTimestamp(job.finishedAt),
  ]
}

export interface IdempotencyRow {
  calendar_id: string
  key: string
  request_hash: string
  response: IdempotencyRecord['response']
  created_at: Date
}

export function idempotencyToRecord(row: IdempotencyRow): IdempotencyRecord {
  return {
    calendarId: row.calendar_id,
    key: row.key,
    requestHash: row.request_hash,
    response: row.response,
    createdAt: toInstant(row.created_at),
  }
}

export interface WebhookRow {
  calendar_id: string
  id: string
  url: string
  events: WebhookEventType[]
  description: string | null
  secret: string
  created_at: Date
}

export function webhookToRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    url: row.url,
    events: row.events,
    description: row.description,
    secret: row.secret,
    createdAt: toInstant(row.created_at),
  }
}

export function webhookFromRecord(webhook: WebhookRecord): unknown[] {
  return [
    webhook.calendarId,
    webhook.id,
    webhook.url,
    toJson(webhook.events),
    webhook.description,
    webhook.secret,
    toTimestamp(webhook.createdAt),
  ]
}

export interface MessageRow {
  id: string
  calendar_id: string
  type: WebhookEventType
  event_id: string
  data: unknown
  created_at: Date
  dispatched_at: Date | null
}

export const MESSAGE_COLUMNS = [
  'id',
  'calendar_id',
  'type',
  'event_id',
  'data',
  'created_at',
  'dispatched_at',
] as const

export function messageToRecord(row: MessageRow): OutboxMessage {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    type: row.type,
    eventId: row.event_id,
    data: row.data,
    createdAt: toInstant(row.created_at),
    dispatchedAt: toInstant(row.dispatched_at),
  }
}

export function messageFromRecord(message: OutboxMessage): unknown[] {
  return [
    message.id,
    message.calendarId,
    message.type,
    message.eventId,
    toJson(message.data),
    toTimestamp(message.createdAt),
    toTimestamp(message.dispatchedAt),
  ]
}

export interface DeliveryRow {
  id: string
  calendar_id: string
  webhook_id: string
  message_id: string
  type: WebhookEventType
  event_id: string
  attempt: number
  status: DeliveryRecord['status']
  response_status: number | null
  error: string | null
  at: Date
}

export const DELIVERY_COLUMNS = [
  'id',
  'calendar_id',
  'webhook_id',
  'message_id',
  'type',
  'event_id',
  'attempt',
  'status',
  'response_status',
  'error',
  'at',
] as const

export function deliveryToRecord(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    webhookId: row.webhook_id,
    messageId: row.message_id,
    type: row.type,
    eventId: row.event_id,
    attempt: row.attempt,
    status: row.status,
    responseStatus: row.response_status,
    error: row.error,
    at: toInstant(row.at),
  }
}

export function deliveryFromRecord(delivery: DeliveryRecord): unknown[] {
  return [
    delivery.id,
    delivery.calendarId,
    delivery.webhookId,
    delivery.messageId,
    delivery.type,
    delivery.eventId,
    delivery.attempt,
    delivery.status,
    delivery.responseStatus,
    delivery.error,
    toTimestamp(delivery.at),
  ]
}

export interface AttachmentRow {
  calendar_id: string
  event_id: string
  id: string
  filename: string
  content_type: string
  /** bigint: the driver answers it as text. */
  size: string
  sha256: string
  created_at: Date
}

/** The attachments table's columns except the content, in the order of `attachmentFromRecord`'s values. */
export const ATTACHMENT_COLUMNS = [
  'calendar_id',
  'event_id',
  'id',
  'filename',
  'content_type',
  'size',
  'sha256',
  'created_at',
] as const

export function attachmentToRecord(row: AttachmentRow): AttachmentRecord {
  return {
    id: row.id,
    calendarId: row.calendar_id,
    eventId: row.event_id,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    sha256: row.sha256,
    createdAt: toInstant(row.created_at),
  }
}

export function attachmentFromRecord(attachment: AttachmentRecord): unknown[] {
  return [
    attachment.calendarId,
    attachment.eventId,
    attachment.id,
    attachment.filename,
    attachment.contentType,
    attachment.size,
    attachment.sha256,
    toTimestamp(attachment.createdAt),
  ]
}
