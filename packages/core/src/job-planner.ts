import { checkChange } from './event-status.js'
import type { OccupancyView } from './occupancy-view.js'
import { occupancyOf, type PlanOutput, planPlacement } from './placement-planner.js'
import type {
  CalendarSettings,
  Displacement,
  EventChanges,
  EventRecord,
  Instant,
  Interval,
  JobRecord,
  WebhookEventType,
} from './types.js'

/** Everything the placement worker loaded for one job. */
export interface JobPlanInput {
  job: JobRecord
  /** The job's event as stored now; null when it does not exist (any more). */
  event: EventRecord | null
  settings: CalendarSettings
  now: Instant
  /**
   * Stored-`scheduled` events around the time in question (the event itself may be among them), or a view
   * of the whole calendar (the worker's in-memory calendar).
   */
  occupying: EventRecord[] | OccupancyView
  /** Registered busy times per lower-cased attendee email. */
  busy: ReadonlyMap<string, Interval[]>
}

/** A change the worker must announce (an outbox message), with the event's state after the change. */
export interface Notification {
  type: WebhookEventType
  event: EventRecord
  /** The time the event had before a reschedule or deletion. */
  previous: Interval | null
}

/** What one job does: the records to write, the job's end state and the notifications, all applied at once. */
export interface JobPlan {
  upserts: EventRecord[]
  deletions: string[]
  job: { state: 'completed' | 'failed'; outcome: JobRecord['outcome']; error: JobRecord['error'] }
  notifications: Notification[]
}

/** The job cannot be applied (its event is gone, the version moved on, the transition is not allowed). */
function refused(code: string, message: string): JobPlan {
  return {
    upserts: [],
    deletions: [],
    job: { state: 'failed', outcome: null, error: { code, message } },
    notifications: [],
  }
}

function completed(partial: Omit<JobPlan, 'job'>, displaced: Displacement[] = []): JobPlan {
  return { ...partial, job: { state: 'completed', outcome: { displaced }, error: null } }
}

/**
 * Decides what a persisted job does to the calendar: a pure function of the job, the stored event and the
 * calendar around it. The worker loads the inputs, calls this, and applies the answer in one store
 * transaction, so a job that runs twice finds itself finished and changes nothing.
 */
export function planJob(input: JobPlanInput): JobPlan {
  const { job, event } = input
  if (job.payload.type === 'delete') {
    if (!event) return completed({ upserts: [], deletions: [], notifications: [] })
    return completed({
      upserts: [],
      deletions: [event.id],
      notifications: [{ type: 'event.deleted', event: bump(event, input.now), previous: timeOf(event) }],
    })
  }
  if (!event) return refused('EVENT_NOT_FOUND', `Event ${job.eventId} does not exist`)

  switch (job.payload.type) {
    case 'create':
      if (event.status !== 'pending') return completed({ upserts: [], deletions: [], notifications: [] })
      return place(input, event, null)
    case 'cancel':
      return applyChanges(input, event, { status: 'cancelled' })
    case 'update': {
      const { changes, expectedVersion } = job.payload
      if (expectedVersion !== null && expectedVersion !== event.version) {
        return refused(
          'PRECONDITION_FAILED',
          `Event ${event.id} is at version ${event.version}, the change expected ${expectedVersion}`,
        )
      }
      return applyChanges(input, event, changes)
    }
  }
}

function applyChanges(input: JobPlanInput, event: EventRecord, changes: EventChanges): JobPlan {
  const check = checkChange(event, changes, input.now)
  if (!check.ok) return refused('INVALID_TRANSITION', check.reason)

  if (changes.status === 'cancelled') {
    if (event.status === 'cancelled') return completed({ upserts: [], deletions: [], notifications: [] })
    const cancelled = { ...bump(event, input.now), status: 'cancelled' as const }
    return completed({
      upserts: [cancelled],
      deletions: [],
      notifications: [{ type: 'event.cancelled', event: cancelled, previous: timeOf(event) }],
    })
  }

  const edited: EventRecord = { ...event }
  if (changes.title !== undefined) edited.title = changes.title
  if (changes.description !== undefined) edited.description = changes.description
  if (changes.location !== undefined) edited.location = changes.location
  if (changes.attendees !== undefined) edited.attendees = changes.attendees
  if (changes.durationMinutes !== undefined) edited.durationMinutes = changes.durationMinutes
  if (changes.status === 'completed') edited.status = 'completed'
  if (changes.when) {
    if (changes.when.placement === 'fixed') {
      edited.placement = 'fixed'
      edited.requestedStart = changes.when.start
      edited.window = null
    } else {
      edited.placement = 'auto'
      edited.requestedStart = null
      edited.window = changes.when.window
    }
  }

  const durationChanged =
    changes.durationMinutes !== undefined && changes.durationMinutes !== event.durationMinutes
  const needsPlacement =
    edited.status !== 'completed' &&
    (changes.when !== undefined || (durationChanged && event.status !== 'cancelled'))
  if (!needsPlacement)
    return completed({ upserts: [bump(edited, input.now)], deletions: [], notifications: [] })

  // A duration change alone keeps the start when the longer event still fits there.
  const keepStart = changes.when === undefined && event.status === 'scheduled' ? event.start : null
  return place(input, edited, keepStart)
}

/** Places `event` (fixed or auto) and moves or fails the auto events a fixed event overrides. */
function place(input: JobPlanInput, event: EventRecord, keepStart: Instant | null): JobPlan {
  const { now } = input
  const occupying = occupancyOf(input.occupying)
  const plan: PlanOutput = planPlacement({
    settings: input.settings,
    now,
    event,
    occupying,
    busy: input.busy,
    keepStart,
  })

  const before = timeOf(event)
  const upserts: EventRecord[] = []
  const notifications: Notification[] = []

  const placed = bump(event, now)
  if (plan.result.status === 'scheduled') {
    Object.assign(placed, {
      status: 'scheduled',
      start: plan.result.slot.start,
      end: plan.result.slot.end,
      failure: null,
      outsideWorkingHours: plan.result.outsideWorkingHours,
      attendeeConflicts: plan.result.attendeeConflicts,
    })
    const moved = event.status === 'scheduled' && before !== null
    if (!moved) notifications.push({ type: 'event.scheduled', event: placed, previous: null })
    else if (before.start !== placed.start || before.end !== placed.end) {
      notifications.push({ type: 'event.rescheduled', event: placed, previous: before })
    }
  } else {
    Object.assign(placed, {
      status: 'failed',
      start: null,
      end: null,
      failure: plan.result.failure,
      outsideWorkingHours: false,
      attendeeConflicts: [],
    })
    notifications.push({ type: 'event.failed', event: placed, previous: before })
  }
  upserts.push(placed)

  for (const move of plan.displaced) {
    const original = occupying.record(move.eventId)
    if (!original) continue
    const displaced = bump(original, now)
    if (move.to) {
      Object.assign(displaced, { start: move.to.start, end: move.to.end })
      notifications.push({ type: 'event.rescheduled', event: displaced, previous: move.from })
    } else {
      Object.assign(displaced, { status: 'failed', start: null, end: null, failure: move.failure })
      notifications.push({ type: 'event.failed', event: displaced, previous: move.from })
    }
    upserts.push(displaced)
  }

  const displaced: Displacement[] = plan.displaced.map(({ eventId, from, to }) => ({ eventId, from, to }))
  return completed({ upserts, deletions: [], notifications }, displaced)
}

/** The record after one more change: a new version and sequence, updated now. */
function bump(event: EventRecord, now: Instant): EventRecord {
  return { ...event, version: event.version + 1, sequence: event.sequence + 1, updatedAt: now }
}

function timeOf(event: EventRecord): Interval | null {
  return event.start !== null && event.end !== null ? { start: event.start, end: event.end } : null
}
