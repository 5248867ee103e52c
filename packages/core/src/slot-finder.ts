import {
  DAY_MS,
  isSlotBoundary,
  iterateWorkingIntervals,
  localDayRange,
  MINUTE_MS,
  nextSlotBoundary,
  workingIntervalAround,
} from './calendar-policy.js'
import { createIntervalIndex, type IntervalIndex } from './interval-index.js'
import type { CalendarSettings, Failure, Instant, Interval, PlacementWindow } from './types.js'

/** What auto placement needs to know to place one event. */
export interface SlotQuery {
  settings: CalendarSettings
  now: Instant
  durationMinutes: number
  window: PlacementWindow
  /** Occupying events: the buffer applies around them. */
  occupied: IntervalIndex
  /** Required attendees' busy times and the occupying events they attend: no buffer. */
  busy: IntervalIndex
}

export type SlotResult = { ok: true; slot: Interval } | { ok: false; failure: Failure }

/** How many alternatives a failed placement offers. */
export const ALTERNATIVES_COUNT = 3

interface Search {
  settings: CalendarSettings
  duration: number
  buffer: number
  /** now + minNoticeMinutes: the earliest start. */
  earliest: Instant
  /** now + horizonDays × 24 h: the latest end. */
  horizonEnd: Instant
  /** The window as instants (infinite where it is open). */
  window: Interval
  occupied: IntervalIndex
  busy: IntervalIndex
  blackouts: IntervalIndex
}

/**
 * The instants a placement window allows: a `date` is that calendar-local day, a range is
 * [notBefore, notAfter] (open ends are infinite), null is unbounded.
 */
export function windowInterval(settings: CalendarSettings, window: PlacementWindow): Interval {
  if (window === null) return { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }
  if (window.kind === 'date') return localDayRange(settings, window.date)
  return {
    start: window.notBefore ?? Number.NEGATIVE_INFINITY,
    end: window.notAfter ?? Number.POSITIVE_INFINITY,
  }
}

function prepare(q: SlotQuery): Search {
  if (!(q.durationMinutes > 0)) throw new RangeError('durationMinutes must be positive')
  return {
    settings: q.settings,
    duration: q.durationMinutes * MINUTE_MS,
    buffer: q.settings.bufferMinutes * MINUTE_MS,
    earliest: q.now + q.settings.minNoticeMinutes * MINUTE_MS,
    horizonEnd: q.now + q.settings.horizonDays * DAY_MS,
    window: windowInterval(q.settings, q.window),
    occupied: q.occupied,
    busy: q.busy,
    blackouts: createIntervalIndex(q.settings.blackouts),
  }
}

function searchBounds(search: Search): Interval {
  return {
    start: Math.max(search.earliest, search.window.start),
    end: Math.min(search.horizonEnd, search.window.end),
  }
}

function isBeyondHorizon(q: SlotQuery, search: Search): boolean {
  return q.window !== null && search.window.start >= search.horizonEnd
}

/**
 * What keeps slots out of [low, high): occupied intervals widened by the buffer, busy times and
 * blackouts, merged into a sorted union.
 */
function blockersBetween(search: Search, low: Instant, high: Instant): Interval[] {
  const { buffer } = search
  const blockers: Interval[] = []
  for (const o of search.occupied.overlapping({ start: low - buffer, end: high + buffer })) {
    blockers.push({ start: o.start - buffer, end: o.end + buffer })
  }
  for (const b of search.busy.overlapping({ start: low, end: high })) blockers.push(b)
  for (const b of search.blackouts.overlapping({ start: low, end: high })) blockers.push(b)
  blockers.sort((a, b) => a.start - b.start)
  const merged: Interval[] = []
  for (const blocker of blockers) {
    const last = merged[merged.length - 1]
    if (last && blocker.start <= last.end) last.end = Math.max(last.end, blocker.end)
    else merged.push({ start: blocker.start, end: blocker.end })
  }
  return merged
}

/**
 * Calls `emit` with every feasible slot inside `bounds` whose start is before `startsBefore`, earliest
 * first, until `emit` answers false. It walks the working intervals of `bounds` in order, asks the indexes
 * once per working interval (once per day of it, for one lasting days) for what lies near it, and jumps past
 * each conflict to the next slot boundary after it, so the cost is bounded by the working intervals walked
 * and the intervals near them.
 */
function walk(
  search: Search,
  bounds: Interval,
  startsBefore: Instant,
  emit: (slot: Interval) => boolean,
): void {
  const { settings, duration } = search
  if (!(bounds.end - bounds.start >= duration)) return
  for (const working of iterateWorkingIntervals(settings, bounds)) {
    const low = Math.max(working.start, bounds.start)
    const high = Math.min(working.end, bounds.end)
    if (low >= startsBefore) return
    if (high - low < duration) continue
    let start = nextSlotBoundary(settings, working, low)
    // Working time joined across midnight may last days: its starts are read a day at a time.
    while (start + duration <= high && start < startsBefore) {
      const dayEnd = Math.min(startsBefore, start + DAY_MS)
      const blockers = blockersBetween(search, start, Math.min(high, dayEnd + duration))
      let next = 0
      while (start + duration <= high && start < dayEnd) {
        const end = start + duration
        while (next < blockers.length && (blockers[next] as Interval).end <= start) next++
        const blocker = blockers[next]
        if (blocker && blocker.start < end) {
          start = nextSlotBoundary(settings, working, blocker.end)
          continue
        }
        if (!emit({ start, end })) return
        start = nextSlotBoundary(settings, working, start + 1)
      }
    }
  }
}

/** How far a slot lies outside the target: the shift that would bring it inside (0 when inside). */
function distance(slot: Interval, target: Interval): number {
  return Math.max(0, target.start - slot.start, slot.end - target.end)
}

/**
 * Up to `count` feasible slots nearest to `target` when the query's window is lifted (every other rule
 * holds, the whole horizon is searched), ordered by start. Nearness is how far a slot sticks out of the
 * target (target.start − start before it, end − target.end after it; for a target slot, the distance
 * between the starts); ties go to the earlier slot. Candidates after the target come from a forward
 * walk; those before it from one-day chunks walked backwards from it, so neither side scans the horizon
 * unless it has to.
 */
export function nearestSlots(
  q: SlotQuery,
  target: Interval,
  count = ALTERNATIVES_COUNT,
  earliest?: EarliestSlot,
): Interval[] {
  const search = prepare(q)
  const relaxed = { start: search.earliest, end: search.horizonEnd }
  if (count <= 0) return []

  // Distance is convex in the start, least at `center`: it grows walking forward from there and walking
  // backward from there, so each side's first `count` slots are its nearest.
  const center =
    target.end === Number.POSITIVE_INFINITY ? target.start : (target.start + target.end - search.duration) / 2
  const afterBounds = { start: Math.max(relaxed.start, center), end: relaxed.end }
  let after: Interval[] | null = earliest ? slotsFrom(earliest, afterBounds, count) : null
  if (after === null) {
    const walked: Interval[] = []
    walk(search, afterBounds, Number.POSITIVE_INFINITY, (slot) => {
      walked.push(slot)
      return walked.length < count
    })
    after = walked
  }

  let before: Interval[] = []
  let chunkEnd = Math.min(center, relaxed.end)
  while (before.length < count && chunkEnd > relaxed.start) {
    const chunkStart = Math.max(relaxed.start, chunkEnd - DAY_MS)
    const chunk: Interval[] = []
    // Slots starting before chunkEnd end by chunkEnd + duration: walking further finds nothing new.
    const chunkBounds = { start: chunkStart, end: Math.min(relaxed.end, chunkEnd + search.duration) }
    walk(search, chunkBounds, chunkEnd, (slot) => {
      chunk.push(slot)
      return true
    })
    before = [...chunk, ...before]
    chunkEnd = chunkStart
  }
  before = before.slice(-count)

  const candidates = [...before.reverse(), ...after]
  candidates.sort((a, b) => distance(a, target) - distance(b, target) || a.start - b.start)
  return candidates.slice(0, count).sort((a, b) => a.start - b.start)
}

/**
 * The earliest feasible slot of a query's rules (its duration, busy times, the calendar's occupied time)
 * starting at or after `from` and ending by `to`, from an index that answers it without walking (the
 * free-gap index): null when there is none, undefined when the index cannot tell.
 */
export type EarliestSlot = (from: Instant, to: Instant) => Interval | null | undefined

/** The first `count` feasible slots of `bounds` from `earliest`, or null when it cannot tell. */
function slotsFrom(earliest: EarliestSlot, bounds: Interval, count: number): Interval[] | null {
  const slots: Interval[] = []
  let from = bounds.start
  while (slots.length < count) {
    const slot = earliest(from, bounds.end)
    if (slot === undefined) return null
    if (slot === null) break
    slots.push(slot)
    from = slot.start + 1
  }
  return slots
}

function iso(instant: Instant): string {
  return new Date(instant).toISOString()
}

function describeWindow(settings: CalendarSettings, window: PlacementWindow): string {
  if (window === null || (window.kind === 'range' && window.notBefore === null && window.notAfter === null)) {
    return `within the next ${settings.horizonDays} days`
  }
  if (window.kind === 'date') return `on ${window.date}`
  if (window.notBefore !== null && window.notAfter !== null) {
    return `between ${iso(window.notBefore)} and ${iso(window.notAfter)}`
  }
  return window.notBefore !== null
    ? `after ${iso(window.notBefore)}`
    : `before ${iso(window.notAfter as number)}`
}

/**
 * The earliest slot auto placement allows: inside one working interval of the calendar's zone (joined
 * across midnight, see `iterateWorkingIntervals`), on one of its slot boundaries (every `slotMinutes` of the
 * local wall clock counted from the interval's start, see `nextSlotBoundary`), starting at or after now + minNoticeMinutes, ending by
 * now + horizonDays (24-hour days), inside the window, clear of blackouts, keeping `bufferMinutes` from
 * every occupied interval and overlapping no busy interval.
 *
 * A window that starts at or after the horizon's end fails with `OUTSIDE_HORIZON`; no slot fails with
 * `NO_SLOT_AVAILABLE`. Failures carry up to 3 alternatives: the feasible slots nearest to the window when
 * the window is lifted.
 *
 * Cost: the search walks only the working intervals inside the window and, for each, reads only the
 * intervals of the indexes near it (jumping past conflicts rather than stepping minute by minute); it never
 * scans the whole calendar.
 */
export function findSlot(q: SlotQuery): SlotResult {
  const search = prepare(q)
  if (isBeyondHorizon(q, search)) return { ok: false, failure: noSlotFailure(q) }
  const found: Interval[] = []
  walk(search, searchBounds(search), Number.POSITIVE_INFINITY, (slot) => {
    found.push(slot)
    return false
  })
  if (found[0]) return { ok: true, slot: found[0] }
  return { ok: false, failure: noSlotFailure(q) }
}

/**
 * The failure `findSlot` answers for a query without a feasible slot, for a caller that knows already
 * that there is none (the free-gap index answered null): `OUTSIDE_HORIZON` or `NO_SLOT_AVAILABLE`, with
 * the alternatives `nearestSlots` finds (after the window from `earliest` when given, instead of a walk).
 * An unbounded window has no alternatives, so its failure costs nothing to build.
 */
export function noSlotFailure(q: SlotQuery, earliest?: EarliestSlot): Failure {
  const search = prepare(q)
  if (isBeyondHorizon(q, search)) {
    const where = q.window?.kind === 'date' ? `on ${q.window.date}` : `starting ${iso(search.window.start)}`
    return {
      code: 'OUTSIDE_HORIZON',
      message: `The window ${where} lies beyond the scheduling horizon (${q.settings.horizonDays} days, until ${iso(search.horizonEnd)})`,
      alternatives: nearestSlots(q, search.window, ALTERNATIVES_COUNT, earliest),
    }
  }
  const unbounded = search.window.start <= search.earliest && search.window.end >= search.horizonEnd
  const attendees = q.busy.size > 0 ? ' with the required attendees free' : ''
  return {
    code: 'NO_SLOT_AVAILABLE',
    message: `No free ${q.durationMinutes}-minute slot ${describeWindow(q.settings, q.window)} within working hours${attendees}`,
    alternatives: unbounded ? [] : nearestSlots(q, search.window, ALTERNATIVES_COUNT, earliest),
  }
}

/**
 * Every feasible slot of the query, earliest first, at most `limit` of them: the starts auto placement
 * would consider (used by availability and preview).
 */
export function feasibleSlots(q: SlotQuery, limit: number): Interval[] {
  const search = prepare(q)
  const slots: Interval[] = []
  if (limit <= 0 || isBeyondHorizon(q, search)) return slots
  walk(search, searchBounds(search), Number.POSITIVE_INFINITY, (slot) => {
    slots.push(slot)
    return slots.length < limit
  })
  return slots
}

/** True when a slot starting exactly at `start` satisfies every auto placement rule of the query. */
export function isFeasibleStart(q: SlotQuery, start: Instant): boolean {
  const search = prepare(q)
  const bounds = searchBounds(search)
  const slot = { start, end: start + search.duration }
  if (slot.start < bounds.start || slot.end > bounds.end) return false
  const working = workingIntervalAround(q.settings, slot)
  if (!working || !isSlotBoundary(q.settings, working, start)) return false
  return blockersBetween(search, slot.start, slot.end).every(
    (b) => b.end <= slot.start || b.start >= slot.end,
  )
}
