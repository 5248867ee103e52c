/**
 * The scheduling domain's vocabulary. Instants are epoch milliseconds (UTC) everywhere inside the
 * system; the HTTP edge converts them to and from RFC 3339 strings.
 */
export type Instant = number

/** A half-open interval [start, end) of instants. */
export interface Interval {
  start: Instant
  end: Instant
}

export const CALENDAR_ID_DEFAULT = 'default'

/** Statuses as reported to clients: `in_progress` and `completed` also follow from the clock. */
export const EVENT_STATUSES = [
  'pending',
  'scheduled',
  'in_progress',
  'completed',
  'cancelled',
  'failed',
] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

/** Statuses as stored: the clock-derived ones are never written, except `completed` set by a client. */
export type StoredStatus = 'pending' | 'scheduled' | 'completed' | 'cancelled' | 'failed'

/**
 * Why an event is `failed`: no feasible slot, a fixed event overlapping another fixed one, a window wholly
 * past the horizon, or `NOT_APPLIED`: the change could not be applied at all (its job failed for good, e.g.
 * the store kept refusing it), so the event does not wait for it for ever.
 */
export const FAILURE_CODES = ['NO_SLOT_AVAILABLE', 'CONFLICT', 'OUTSIDE_HORIZON', 'NOT_APPLIED'] as const
export type FailureCode = (typeof FAILURE_CODES)[number]

export interface Failure {
  code: FailureCode
  message: string
  /** Up to 3 nearest feasible slots that the request's window or constraints excluded. */
  alternatives: Interval[]
}

export interface Attendee {
  email: string
  name?: string
  /** Required attendees must be free for an auto-placed event. */
  required: boolean
}

/** When an auto event may be placed: a calendar-local day, a range of instants, or anywhere (null). */
export type PlacementWindow =
  | { kind: 'date'; date: string }
  | { kind: 'range'; notBefore: Instant | null; notAfter: Instant | null }
  | null

export type Placement = 'auto' | 'fixed'

/** What the client asked for, in domain terms: an exact start (fixed) or a window to search (auto). */
export type PlacementRequest =
  | { placement: 'fixed'; start: Instant }
  | { placement: 'auto'; window: PlacementWindow }

export interface EventRecord {
  id: string
  calendarId: string
  title: string
  description: string | null
  location: string | null
  attendees: Attendee[]
  durationMinutes: number
  placement: Placement
  /** Auto events: where the search may look. Fixed events: null. */
  window: PlacementWindow
  /** Fixed events: the start that was asked for (kept when placement fails). Auto events: null. */
  requestedStart: Instant | null
  start: Instant | null
  end: Instant | null
  status: StoredStatus
  failure: Failure | null
  /** Required attendees whose busy times a fixed event clashes with. */
  attendeeConflicts: string[]
  /** A fixed event placed outside working hours or in a blackout. */
  outsideWorkingHours: boolean
  /** Bumped by every change a client can observe; `If-Match` compares it. */
  version: number
  /** Bumped by every change the worker makes; webhook messages carry it so receivers can order them. */
  sequence: number
  createdAt: Instant
  updatedAt: Instant
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** A local time of day, "HH:MM" (24h); "24:00" is allowed as an end. */
export interface LocalTimeRange {
  start: string
  end: string
}

export interface Blackout {
  start: Instant
  end: Instant
  reason: string | null
}

export interface CalendarSettings {
  id: string
  timezone: string
  workingHours: Record<Weekday, LocalTimeRange[]>
  bufferMinutes: number
  slotMinutes: number
  minNoticeMinutes: number
  horizonDays: number
  blackouts: Blackout[]
}

export const JOB_TYPES = ['create', 'update', 'cancel', 'delete'] as const
export type JobType = (typeof JOB_TYPES)[number]
export type JobState = 'queued' | 'active' | 'completed' | 'failed'

export interface Displacement {
  eventId: string
  from: Interval
  /** null: the displaced event could not be placed again and failed. */
  to: Interval | null
}

/** The fields of an event a PATCH may change; `when` re-places it. */
export interface EventChanges {
  title?: string
  description?: string | null
  location?: string | null
  attendees?: Attendee[]
  durationMinutes?: number
  when?: PlacementRequest
  status?: 'cancelled' | 'completed'
}

export type JobPayload =
  | { type: 'create' }
  | { type: 'update'; changes: EventChanges; expectedVersion: number | null }
  | { type: 'cancel' }
  | { type: 'delete' }

export interface JobRecord {
  id: string
  calendarId: string
  type: JobType
  eventId: string
  state: JobState
  payload: JobPayload
  outcome: { displaced: Displacement[] } | null
  error: { code: string; message: string } | null
  createdAt: Instant
  finishedAt: Instant | null
}

export const WEBHOOK_EVENT_TYPES = [
  'event.failed',
  'event.scheduled',
  'event.rescheduled',
  'event.cancelled',
  'event.deleted',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]
