import { DAY_MS, isWithinWorkingHours, MINUTE_MS, overlapsBlackout } from './calendar-policy.js'
import { gapQueryOf } from './free-gap-index.js'
import { createIntervalIndex, overlaps } from './interval-index.js'
import {
  listView,
  type OccupancyView,
  overlayView,
  type PlacedEvent,
  RecordsNeededError,
  viewIndex,
} from './occupancy-view.js'
import {
  type EarliestSlot,
  findSlot,
  isFeasibleStart,
  nearestSlots,
  noSlotFailure,
  type SlotQuery,
} from './slot-finder.js'
import { clampToSupportedRange } from './supported-range.js'
import type { Attendee, CalendarSettings, EventRecord, Failure, Instant, Interval } from './types.js'

export interface PlanInput {
  settings: CalendarSettings
  now: Instant
  /** The event to place, with its new fields applied: `fixed` uses `requestedStart`, `auto` its `window`. */
  event: EventRecord
  /**
   * Stored-`scheduled` events in the loaded range (a list), or a view of the whole calendar (the worker's
   * in-memory calendar). `event` itself is left out either way.
   */
  occupying: EventRecord[] | OccupancyView
  /** Registered busy times per lower-cased email (attendees of `event` and of the occupying events). */
  busy: ReadonlyMap<string, Interval[]>
  /**
   * Updates: the start to keep if possible (a duration change). Auto: kept when a slot starting exactly
   * there satisfies every auto rule. Fixed: ignored when `requestedStart` is set (the same start in
   * practice); the start is kept unless it overlaps another fixed event.
   */
  keepStart?: Instant | null
}

export type PlanResult =
  | { status: 'scheduled'; slot: Interval; outsideWorkingHours: boolean; attendeeConflicts: string[] }
  | { status: 'failed'; failure: Failure }

export interface PlannedDisplacement {
  eventId: string
  from: Interval
  /** null: no feasible slot was left, the event fails with `failure`. */
  to: Interval | null
  failure: Failure | null
}

export interface PlanOutput {
  result: PlanResult
  /** The auto events a fixed event overrides, in the order they were placed again. */
  displaced: PlannedDisplacement[]
}

/** The view of `occupying` (a list or a view already). */
export function occupancyOf(occupying: EventRecord[] | OccupancyView): OccupancyView {
  return Array.isArray(occupying) ? listView(occupying) : (occupying as OccupancyView)
}

/** The lower-cased emails of an event's required attendees. */
export function requiredEmails(attendees: readonly Attendee[]): Set<string> {
  return new Set(
    attendees.filter((attendee) => attendee.required).map((attendee) => attendee.email.toLowerCase()),
  )
}

/**
 * What the given attendees cannot be double-booked with: their registered busy times and the times of the
 * occupying events any of them attends (emails compared case-insensitively).
 */
export function attendeeBusyIntervals(
  emails: ReadonlySet<string>,
  busy: ReadonlyMap<string, Interval[]>,
  occupying: ReadonlyArray<{ start: Instant | null; end: Instant | null; attendees: readonly Attendee[] }>,
): Interval[] {
  const intervals: Interval[] = []
  for (const email of emails) intervals.push(...(busy.get(email) ?? []))
  for (const event of occupying) {
    if (event.start === null || event.end === null) continue
    if (event.attendees.some((attendee) => emails.has(attendee.email.toLowerCase()))) {
      intervals.push({ start: event.start, end: event.end })
    }
  }
  return intervals
}

function autoQuery(
  input: Pick<PlanInput, 'settings' | 'now' | 'busy'>,
  event: Pick<EventRecord, 'durationMinutes' | 'window' | 'attendees'>,
  others: OccupancyView,
): SlotQuery {
  const emails = requiredEmails(event.attendees)
  return {
    settings: input.settings,
    now: input.now,
    durationMinutes: event.durationMinutes,
    window: event.window,
    occupied: viewIndex(others),
    busy: createIntervalIndex(attendeeBusyIntervals(emails, input.busy, others.attendedBy(emails))),
  }
}

/**
 * The earliest feasible slot of an auto query: the view's free-gap index when it has one (also when there
 * is none: the failure is built from it, the alternatives after the window too), else `findSlot`.
 */
function earliestSlot(query: SlotQuery, others: OccupancyView): ReturnType<typeof findSlot> {
  const fast = others.earliestSlot?.(gapQueryOf(query))
  if (fast) return { ok: true, slot: fast }
  if (fast === null) return { ok: false, failure: noSlotFailure(query, earliestOf(query, others)) }
  return findSlot(query)
}

/** The view's free-gap index as `nearestSlots` asks it: the query's rules with its window lifted. */
function earliestOf(query: SlotQuery, others: OccupancyView): EarliestSlot | undefined {
  const index = others.earliestSlot?.bind(others)
  if (!index) return undefined
  return (from, to) => index({ from, to, durationMinutes: query.durationMinutes, busy: query.busy })
}

function byStartThenId(a: PlacedEvent, b: PlacedEvent): number {
  return a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function iso(instant: Instant): string {
  return new Date(instant).toISOString()
}

/**
 * Decides where an event goes and what it moves.
 *
 * Auto: the earliest feasible slot (`findSlot`) given every occupying event and the busy times of the
 * event's required attendees (plus the occupying events they attend); with `keepStart`, that start first.
 *
 * Fixed: exactly [requestedStart, +duration), regardless of horizon, notice, working hours, buffer and
 * boundaries. Overlapping another fixed event fails with `CONFLICT` (alternatives: the nearest feasible
 * auto slots around the requested time). Otherwise every auto event overlapping [start − buffer,
 * end + buffer) is displaced and placed again, by original start then id, each at its earliest feasible
 * slot under the auto rules given everything else (the new event and those already moved; those still
 * waiting are left out); one with no slot gets `to: null` and `NO_SLOT_AVAILABLE`.
 */
export function planPlacement(input: PlanInput): PlanOutput {
  const { event, settings } = input
  const others = overlayView(occupancyOf(input.occupying), new Set([event.id]))
  const duration = event.durationMinutes * MINUTE_MS

  if (event.placement === 'auto') {
    const query = autoQuery(input, event, others)
    const keep = input.keepStart
    if (keep !== null && keep !== undefined && isFeasibleStart(query, keep)) {
      return {
        result: {
          status: 'scheduled',
          slot: { start: keep, end: keep + duration },
          outsideWorkingHours: false,
          attendeeConflicts: [],
        },
        displaced: [],
      }
    }
    const found = earliestSlot(query, others)
    return {
      result: found.ok
        ? { status: 'scheduled', slot: found.slot, outsideWorkingHours: false, attendeeConflicts: [] }
        : { status: 'failed', failure: found.failure },
      displaced: [],
    }
  }

  const start = event.requestedStart ?? input.keepStart
  if (start === null || start === undefined) throw new Error(`Fixed event ${event.id} has no requested start`)
  const slot = { start, end: start + duration }

  const clash = others
    .overlapping(slot)
    .filter((other) => other.placement === 'fixed')
    .sort(byStartThenId)[0]
  if (clash) {
    const query = autoQuery(input, { ...event, window: null }, others)
    return {
      result: {
        status: 'failed',
        failure: {
          code: 'CONFLICT',
          message: `${iso(slot.start)}–${iso(slot.end)} overlaps the fixed event ${clash.id} (${iso(clash.start)}–${iso(clash.end)})`,
          alternatives: nearestSlots(query, slot, undefined, earliestOf(query, others)),
        },
      },
      displaced: [],
    }
  }

  const buffer = settings.bufferMinutes * MINUTE_MS
  const guarded = { start: slot.start - buffer, end: slot.end + buffer }
  const toMove = others
    .overlapping(guarded)
    .filter((other) => other.placement !== 'fixed')
    .sort(byStartThenId)
  const moving = new Set(toMove.map((other) => other.id))
  // The displaced events' records (duration, window, attendees): all asked for at once, so a view that
  // holds only placements (the in-memory calendar) makes its caller load them in one read.
  const records = toMove.map((other) => others.record(other.id))
  const missing = toMove.filter((_, i) => records[i] === undefined).map((other) => other.id)
  if (missing.length > 0) throw new RecordsNeededError(missing)
  const placedEvent: PlacedEvent = {
    id: event.id,
    start: slot.start,
    end: slot.end,
    placement: event.placement,
    attendees: event.attendees,
  }
  const moved: PlacedEvent[] = []
  const currentAdded = [placedEvent]
  const currentView = (): OccupancyView => overlayView(others, moving, currentAdded)

  const displaced: PlannedDisplacement[] = []
  for (const [i, next] of toMove.entries()) {
    const record = records[i] as EventRecord
    const from = { start: next.start, end: next.end }
    const view = currentView()
    const found = earliestSlot(autoQuery(input, record, view), view)
    if (found.ok) {
      const to = { ...next, start: found.slot.start, end: found.slot.end }
      currentAdded.push(to)
      moved.push(to)
      displaced.push({ eventId: next.id, from, to: found.slot, failure: null })
    } else {
      displaced.push({
        eventId: next.id,
        from,
        to: null,
        failure: { ...found.failure, code: 'NO_SLOT_AVAILABLE' },
      })
    }
  }

  const othersAfter = overlayView(others, moving, moved)
  const attendeeConflicts: string[] = []
  const seen = new Set<string>()
  for (const attendee of event.attendees) {
    const email = attendee.email.toLowerCase()
    if (!attendee.required || seen.has(email)) continue
    seen.add(email)
    const emails = new Set([email])
    const clashes = attendeeBusyIntervals(emails, input.busy, othersAfter.attendedBy(emails)).some((busy) =>
      overlaps(busy, slot),
    )
    if (clashes) attendeeConflicts.push(attendee.email)
  }

  return {
    result: {
      status: 'scheduled',
      slot,
      outsideWorkingHours: !isWithinWorkingHours(settings, slot) || overlapsBlackout(settings, slot),
      attendeeConflicts,
    },
    displaced,
  }
}

/**
 * The span whose occupying events and busy times a plan for `event` can depend on: from now (less the
 * buffer) to the end of the horizon (plus the buffer), widened to cover a fixed or kept start outside it.
 * Loading the events that overlap it is enough for `planPlacement`. Cut to the supported range of instants
 * (nothing is stored outside it), so an event stored with a time at its edge can still be looked up around.
 */
export function planningRange(
  settings: CalendarSettings,
  now: Instant,
  event: Pick<EventRecord, 'durationMinutes' | 'requestedStart'>,
  keepStart: Instant | null = null,
): Interval {
  const buffer = settings.bufferMinutes * MINUTE_MS
  let start = now
  let end = now + settings.horizonDays * DAY_MS
  for (const at of [event.requestedStart, keepStart]) {
    if (at === null) continue
    start = Math.min(start, at)
    end = Math.max(end, at + event.durationMinutes * MINUTE_MS)
  }
  return clampToSupportedRange({ start: start - buffer, end: end + buffer })
}
