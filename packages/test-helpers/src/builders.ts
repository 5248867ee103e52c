import { createHash } from 'node:crypto'
import {
  type AttachmentRecord,
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  type DeliveryRecord,
  type EventRecord,
  type Instant,
  type JobRecord,
  type Notification,
  type OutboxMessage,
  pendingEvent,
  type WebhookRecord,
} from '@scheduler/core'
import type { IdempotencyWrite, StorePlan } from '@scheduler/store'

export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
/** A fixed Monday 09:00 UTC far enough ahead that nothing in the tests is "in the past" by accident. */
export const T0: Instant = Date.UTC(2031, 0, 6, 9, 0, 0)

let counter = 0
const run = Math.random().toString(36).slice(2, 8)

/** A unique id with `prefix`; ids made later sort after ids made earlier. */
export function uniqueId(prefix: string): string {
  counter += 1
  return `${prefix}_${run}${String(counter).padStart(6, '0')}`
}

export function aCalendar(overrides: Partial<CalendarSettings> = {}): CalendarSettings {
  const day = [{ start: '09:00', end: '17:00' }]
  return {
    id: CALENDAR_ID_DEFAULT,
    timezone: 'America/New_York',
    workingHours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: [], sun: [] },
    bufferMinutes: 0,
    slotMinutes: 15,
    minNoticeMinutes: 0,
    horizonDays: 60,
    blackouts: [],
    ...overrides,
  }
}

/** A pending auto event without a time, unless the overrides say otherwise. */
export function anEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  const request = {
    title: 'Board sync',
    description: null,
    location: null,
    attendees: [{ email: 'a@example.com', name: 'A', required: true }],
    durationMinutes: 60,
    when: { placement: 'auto', window: null },
  } as const
  const event = pendingEvent(
    { ...request, attendees: [...request.attendees] },
    { id: uniqueId('evt'), calendarId: CALENDAR_ID_DEFAULT },
    T0 - DAY,
  )
  return { ...event, ...overrides }
}

/** A scheduled event at [start, start + minutes). */
export function aScheduledEvent(
  start: Instant,
  minutes = 60,
  overrides: Partial<EventRecord> = {},
): EventRecord {
  return anEvent({
    status: 'scheduled',
    durationMinutes: minutes,
    start,
    end: start + minutes * MINUTE,
    ...overrides,
  })
}

export function aJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: uniqueId('job'),
    calendarId: CALENDAR_ID_DEFAULT,
    type: 'create',
    eventId: uniqueId('evt'),
    state: 'queued',
    payload: { type: 'create' },
    outcome: null,
    error: null,
    createdAt: T0 - DAY,
    finishedAt: null,
    ...overrides,
  }
}

export function anIdempotencyWrite(overrides: Partial<IdempotencyWrite> = {}): IdempotencyWrite {
  return {
    key: uniqueId('key'),
    requestHash: 'sha256:request-a',
    response: { status: 202, body: { event: { id: 'evt_x' }, job: { id: 'job_x', state: 'queued' } } },
    createdAt: T0 - DAY,
    ...overrides,
  }
}

export function aWebhook(overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    id: uniqueId('whk'),
    calendarId: CALENDAR_ID_DEFAULT,
    url: 'https://hooks.example.com/scheduler',
    events: ['event.failed'],
    description: null,
    secret: 'whsec_c2VjcmV0LWtleS1ieXRlcw==',
    createdAt: T0 - DAY,
    ...overrides,
  }
}

export function aMessage(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  const eventId = overrides.eventId ?? uniqueId('evt')
  return {
    id: uniqueId('msg'),
    calendarId: CALENDAR_ID_DEFAULT,
    type: 'event.scheduled',
    eventId,
    data: { event: { id: eventId }, sequence: 1, previous: null },
    createdAt: T0 - DAY,
    dispatchedAt: null,
    ...overrides,
  }
}

/** The outbox message a store writes for a notification it decides itself (`failJob`'s `toMessage`). */
export function aMessageOf(notification: Notification, at: Instant): OutboxMessage {
  return aMessage({
    calendarId: notification.event.calendarId,
    type: notification.type,
    eventId: notification.event.id,
    data: { event: { id: notification.event.id }, sequence: notification.event.sequence, previous: null },
    createdAt: at,
  })
}

export function aDelivery(overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id: uniqueId('dlv'),
    calendarId: CALENDAR_ID_DEFAULT,
    webhookId: uniqueId('whk'),
    messageId: uniqueId('msg'),
    type: 'event.failed',
    eventId: uniqueId('evt'),
    attempt: 1,
    status: 'succeeded',
    responseStatus: 200,
    error: null,
    at: T0 - DAY,
    ...overrides,
  }
}

/** A plan that completes `job` with the given writes. */
export function aPlan(job: JobRecord, overrides: Partial<StorePlan> = {}): StorePlan {
  return {
    calendarId: job.calendarId,
    jobId: job.id,
    upserts: [],
    deletions: [],
    job: { state: 'completed', outcome: { displaced: [] }, error: null, finishedAt: T0 - DAY + MINUTE },
    messages: [],
    ...overrides,
  }
}

/** An attachment of `event` with these bytes (a short text unless given), its size and hash matching them. */
export function anAttachment(
  event: Pick<EventRecord, 'id' | 'calendarId'>,
  bytes: Buffer = Buffer.from('minutes of the board sync\n'),
  overrides: Partial<AttachmentRecord> = {},
): { meta: AttachmentRecord; bytes: Buffer } {
  return {
    meta: {
      id: uniqueId('att'),
      calendarId: event.calendarId,
      eventId: event.id,
      filename: 'minutes.txt',
      contentType: 'text/plain; charset=utf-8',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      createdAt: T0 - DAY,
      ...overrides,
    },
    bytes,
  }
}
