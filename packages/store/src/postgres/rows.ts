import type {
  Attendee,
  CalendarSettings,
  EventRecord,
  Failure,
  Instant,
  Interval,
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
  IdempotencyWrite,
  OutboxMessage,
  WebhookRecord,
} from '../port.js'

import type { Queryable } from './connection.js'

// Bind parameters per statement are limited to 65535; multi-row inserts are cut into chunks of this many rows.
const ROWS_PER_INSERT = 500

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

/** A value bound to a statement parameter (see above for how instants and JSON are passed). */
export type Param = string | number | boolean | null | Buffer

/**
 * The SQL type of every column written through a statement that binds one typed parameter per column
 * (`insertColumns`, the grouped submit): events, jobs and outbox messages, by column name.
 */
export const COLUMN_TYPES: Readonly<Record<string, string>> = {
  calendar_id: 'text',
  id: 'text',
  title: 'text',
  description: 'text',
  location: 'text',
  attendees: 'jsonb',
  duration_minutes: 'integer',
  placement: 'text',
  placement_window: 'jsonb',
  requested_start: 'timestamptz',
  start_at: 'timestamptz',
  end_at: 'timestamptz',
  status: 'text',
  failure: 'jsonb',
  attendee_conflicts: 'jsonb',
  outside_working_hours: 'boolean',
  version: 'integer',
  sequence: 'integer',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  type: 'text',
  event_id: 'text',
  state: 'text',
  payload: 'jsonb',
  outcome: 'jsonb',
  error: 'jsonb',
  finished_at: 'timestamptz',
  data: 'jsonb',
  dispatched_at: 'timestamptz',
}

/** The SQL type of `column` (see `COLUMN_TYPES`); a column without one is a programming error. */
export function columnType(column: string): string {
  const type = COLUMN_TYPES[column]
  if (type === undefined) throw new Error(`rows: no SQL type for column ${column}`)
  return type
}

/** A table and every column it is written with, each once. */
export interface Table<Column extends string> {
  readonly name: string
  readonly columns: readonly Column[]
}

/** The values of one row to write into `T`, one per column, by name. */
export type RowOf<T extends Table<string>> = T extends Table<infer Column> ? Record<Column, Param> : never

/**
 * A table written with every column of `Row`: `all` names each exactly once (a missing or an unknown column
 * does not compile), and rows are bound by name, so the order of columns never matters.
 */
export function table<Row>(name: string, all: Record<keyof Row & string, true>): Table<keyof Row & string> {
  return { name, columns: Object.keys(all) as (keyof Row & string)[] }
}

/**
 * Inserts `rows` into `table`, `ROWS_PER_INSERT` rows per statement (bind parameters per statement are
 * limited to 65535), each value bound to its column by name; `onConflict` is appended to every statement.
 */
export async function insertRows<Column extends string>(
  client: Queryable,
  table: Table<Column>,
  rows: Record<Column, Param>[],
  onConflict = '',
): Promise<void> {
  const { columns } = table
  for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
    const chunk = rows.slice(from, from + ROWS_PER_INSERT)
    const values = chunk.map((_, i) => `(${placeholders(columns.length, i * columns.length)})`).join(', ')
    await client.query(
      `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${values} ${onConflict}`,
      chunk.flatMap((row) => valuesOf(table, row)),
    )
  }
}

/** The values of `row` in the order of `table.columns`, for a statement that lists the columns so. */
/**
 * Inserts `rows` into `table` with one statement of one array parameter per column (`unnest`), each value
 * taken from its row by column name: a batch of any size binds as many parameters as the table has columns
 * instead of one per value, which PostgreSQL plans and binds much faster. `onConflict` is appended.
 */
export async function insertColumns<Column extends string>(
  client: Queryable,
  table: Table<Column>,
  rows: Record<Column, Param>[],
  onConflict = '',
): Promise<void> {
  if (rows.length === 0) return
  const { columns } = table
  const arrays = columns.map((column) => rows.map((row) => row[column]))
  const parameters = columns.map((column, i) => `$${i + 1}::${columnType(column)}[]`).join(', ')
  await client.query(
    `INSERT INTO ${table.name} (${columns.join(', ')}) SELECT * FROM unnest(${parameters}) ${onConflict}`,
    arrays,
  )
}

export function valuesOf<Column extends string>(table: Table<Column>, row: Record<Column, Param>): Param[] {
  return table.columns.map((column) => row[column])
}

/** `$offset+1, …, $offset+count` */
export function placeholders(count: number, offset = 0): string {
  return Array.from({ length: count }, (_, i) => `$${offset + i + 1}`).join(', ')
}

/** `column = EXCLUDED.column` for every column of `table` but `keys`: an upsert's update of the whole row. */
export function updatesExcept<Column extends string>(table: Table<Column>, keys: readonly Column[]): string {
  return table.columns
    .filter((column) => !keys.includes(column))
    .map((column) => `${column} = EXCLUDED.${column}`)
    .join(', ')
}

export interface IntervalRow {
  start_at: Date
  end_at: Date
}

export function intervalFromRow(row: IntervalRow): Interval {
  return { start: row.start_at.getTime(), end: row.end_at.getTime() }
}

export interface CalendarRow {
  calendar_id: string
  settings: CalendarSettings
}

export function calendarFromRow(row: CalendarRow): CalendarSettings {
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

/** The events table: every column of `EventRow`, written by name. */
export const EVENTS = table<EventRow>('events', {
  calendar_id: true,
  id: true,
  title: true,
  description: true,
  location: true,
  attendees: true,
  duration_minutes: true,
  placement: true,
  placement_window: true,
  requested_start: true,
  start_at: true,
  end_at: true,
  status: true,
  failure: true,
  attendee_conflicts: true,
  outside_working_hours: true,
  version: true,
  sequence: true,
  created_at: true,
  updated_at: true,
})

export function eventFromRow(row: EventRow): EventRecord {
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

export function eventToRow(event: EventRecord): RowOf<typeof EVENTS> {
  return {
    calendar_id: event.calendarId,
    id: event.id,
    title: event.title,
    description: event.description,
    location: event.location,
    attendees: toJson(event.attendees),
    duration_minutes: event.durationMinutes,
    placement: event.placement,
    placement_window: event.window === null ? null : toJson(event.window),
    requested_start: toTimestamp(event.requestedStart),
    start_at: toTimestamp(event.start),
    end_at: toTimestamp(event.end),
    status: event.status,
    failure: event.failure === null ? null : toJson(event.failure),
    attendee_conflicts: toJson(event.attendeeConflicts),
    outside_working_hours: event.outsideWorkingHours,
    version: event.version,
    sequence: event.sequence,
    created_at: toTimestamp(event.createdAt),
    updated_at: toTimestamp(event.updatedAt),
  }
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

/** The jobs table: every column of `JobRow`, written by name. */
export const JOBS = table<JobRow>('jobs', {
  calendar_id: true,
  id: true,
  type: true,
  event_id: true,
  state: true,
  payload: true,
  outcome: true,
  error: true,
  created_at: true,
  finished_at: true,
})

export function jobFromRow(row: JobRow): JobRecord {
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

export function jobToRow(job: JobRecord): RowOf<typeof JOBS> {
  return {
    calendar_id: job.calendarId,
    id: job.id,
    type: job.type,
    event_id: job.eventId,
    state: job.state,
    payload: toJson(job.payload),
    outcome: job.outcome === null ? null : toJson(job.outcome),
    error: job.error === null ? null : toJson(job.error),
    created_at: toTimestamp(job.createdAt),
    finished_at: toTimestamp(job.finishedAt),
  }
}

export interface IdempotencyRow {
  calendar_id: string
  key: string
  request_hash: string
  response: IdempotencyRecord['response']
  created_at: Date
}

/** The idempotency_keys table: every column of `IdempotencyRow`, written by name. */
export const IDEMPOTENCY_KEYS = table<IdempotencyRow>('idempotency_keys', {
  calendar_id: true,
  key: true,
  request_hash: true,
  response: true,
  created_at: true,
})

export function idempotencyToRow(
  calendarId: string,
  write: IdempotencyWrite,
): RowOf<typeof IDEMPOTENCY_KEYS> {
  return {
    calendar_id: calendarId,
    key: write.key,
    request_hash: write.requestHash,
    response: toJson(write.response),
    created_at: toTimestamp(write.createdAt),
  }
}

export function idempotencyFromRow(row: IdempotencyRow): IdempotencyRecord {
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

export function webhookFromRow(row: WebhookRow): WebhookRecord {
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

/** The webhooks table: every column of `WebhookRow`, written by name. */
export const WEBHOOKS = table<WebhookRow>('webhooks', {
  calendar_id: true,
  id: true,
  url: true,
  events: true,
  description: true,
  secret: true,
  created_at: true,
})

export function webhookToRow(webhook: WebhookRecord): RowOf<typeof WEBHOOKS> {
  return {
    calendar_id: webhook.calendarId,
    id: webhook.id,
    url: webhook.url,
    events: toJson(webhook.events),
    description: webhook.description,
    secret: webhook.secret,
    created_at: toTimestamp(webhook.createdAt),
  }
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

/** The outbox_messages table: every column of `MessageRow`, written by name (`position` is generated). */
export const MESSAGES = table<MessageRow>('outbox_messages', {
  id: true,
  calendar_id: true,
  type: true,
  event_id: true,
  data: true,
  created_at: true,
  dispatched_at: true,
})

export function messageFromRow(row: MessageRow): OutboxMessage {
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

export function messageToRow(message: OutboxMessage): RowOf<typeof MESSAGES> {
  return {
    id: message.id,
    calendar_id: message.calendarId,
    type: message.type,
    event_id: message.eventId,
    data: toJson(message.data),
    created_at: toTimestamp(message.createdAt),
    dispatched_at: toTimestamp(message.dispatchedAt),
  }
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

/** The webhook_deliveries table: every column of `DeliveryRow`, written by name (`position` is generated). */
export const DELIVERIES = table<DeliveryRow>('webhook_deliveries', {
  id: true,
  calendar_id: true,
  webhook_id: true,
  message_id: true,
  type: true,
  event_id: true,
  attempt: true,
  status: true,
  response_status: true,
  error: true,
  at: true,
})

export function deliveryFromRow(row: DeliveryRow): DeliveryRecord {
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

export function deliveryToRow(delivery: DeliveryRecord): RowOf<typeof DELIVERIES> {
  return {
    id: delivery.id,
    calendar_id: delivery.calendarId,
    webhook_id: delivery.webhookId,
    message_id: delivery.messageId,
    type: delivery.type,
    event_id: delivery.eventId,
    attempt: delivery.attempt,
    status: delivery.status,
    response_status: delivery.responseStatus,
    error: delivery.error,
    at: toTimestamp(delivery.at),
  }
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

/** The attachments table: every column of `AttachmentRow` and the content, written by name. */
export const ATTACHMENTS = table<AttachmentRow & { content: Buffer }>('attachments', {
  calendar_id: true,
  event_id: true,
  id: true,
  filename: true,
  content_type: true,
  size: true,
  sha256: true,
  created_at: true,
  content: true,
})

/** The attachments table's columns except the content (what a listing reads). */
export const ATTACHMENT_COLUMNS = ATTACHMENTS.columns.filter((column) => column !== 'content')

export function attachmentFromRow(row: AttachmentRow): AttachmentRecord {
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

export function attachmentToRow(attachment: AttachmentRecord, content: Buffer): RowOf<typeof ATTACHMENTS> {
  return {
    calendar_id: attachment.calendarId,
    event_id: attachment.eventId,
    id: attachment.id,
    filename: attachment.filename,
    content_type: attachment.contentType,
    size: attachment.size,
    sha256: attachment.sha256,
    created_at: toTimestamp(attachment.createdAt),
    content,
  }
}
