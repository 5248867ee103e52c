import type { GapQuery } from './free-gap-index.js'
import { createIntervalIndex, type IntervalIndex } from './interval-index.js'
import type { Attendee, EventRecord, Interval, Placement } from './types.js'

/** An occupying event as the planner sees it: its time, how it was placed and who attends. */
export interface PlacedEvent extends Interval {
  id: string
  placement: Placement
  attendees: readonly Attendee[]
}

/**
 * The occupying events a plan is made against, answered by an index rather than handed over as a list:
 * a list of records (`listView`, what a caller that loaded a range passes) or the placement worker's
 * in-memory calendar, which also answers the earliest auto slot from its free-gap index.
 */
export interface OccupancyView {
  /** The events whose [start, end) overlaps `range`, by start then id. */
  overlapping(range: Interval): PlacedEvent[]
  /** The events that any of `emails` (lower-cased) attends. */
  attendedBy(emails: ReadonlySet<string>): PlacedEvent[]
  /** True when the view holds `id` as an occupying event. */
  has(id: string): boolean
  /**
   * The stored record of an occupying event, or undefined when the view does not hold it — or holds only
   * its placement (the in-memory calendar keeps no records: the planner then throws `RecordsNeededError`).
   */
  record(id: string): EventRecord | undefined
  readonly size: number
  /**
   * The earliest slot for a query over this view's events, buffers and blackouts (see `FreeGapIndex`):
   * null when there is none, undefined when the view cannot tell (the planner then asks `findSlot`).
   */
  earliestSlot?(query: GapQuery): Interval | null | undefined
  /**
   * `earliestSlot` as if the events of `excluded` were gone and `added` were placed (a plan in the
   * making: the event being moved, the events a fixed event displaces).
   */
  earliestSlotWith?(
    query: GapQuery,
    excluded: ReadonlySet<string>,
    added: readonly PlacedEvent[],
  ): Interval | null | undefined
}

/**
 * Thrown by the planner when the view holds the placement of events whose records a plan needs (the
 * auto events a fixed event displaces) but not the records themselves: the caller loads them and plans
 * again.
 */
export class RecordsNeededError extends Error {
  constructor(readonly ids: string[]) {
    super(`The records of ${ids.join(', ')} are needed to plan`)
    this.name = 'RecordsNeededError'
  }
}

function byStartThenId(a: PlacedEvent, b: PlacedEvent): number {
  return a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The placed view of a record, or null when it has no time. */
export function placedEventOf(event: EventRecord): PlacedEvent | null {
  if (event.start === null || event.end === null || !(event.end > event.start)) return null
  return {
    id: event.id,
    start: event.start,
    end: event.end,
    placement: event.placement,
    attendees: event.attendees,
  }
}

/** Whether any of `emails` attends the event (emails compared lower-cased). */
export function attendsAny(event: PlacedEvent, emails: ReadonlySet<string>): boolean {
  return event.attendees.some((attendee) => emails.has(attendee.email.toLowerCase()))
}

/** A view of a list of records (those with a time occupy; the list is read once). */
export function listView(events: readonly EventRecord[]): OccupancyView {
  const placed: PlacedEvent[] = []
  const records = new Map<string, EventRecord>()
  for (const event of events) {
    records.set(event.id, event)
    const p = placedEventOf(event)
    if (p) placed.push(p)
  }
  const index = createIntervalIndex(placed)
  const ids = new Set(placed.map((p) => p.id))
  return {
    overlapping: (range) => index.overlapping(range).sort(byStartThenId),
    attendedBy: (emails) => (emails.size === 0 ? [] : placed.filter((p) => attendsAny(p, emails))),
    has: (id) => ids.has(id),
    record: (id) => records.get(id),
    size: placed.length,
  }
}

/**
 * `view` without the events named in `excluded` and with `added` (a plan in the making: the event being
 * placed, the displaced events already moved). It keeps the fast path when the view can answer it with
 * the changes applied (`earliestSlotWith`), or when it changes nothing.
 */
export function overlayView(
  view: OccupancyView,
  excluded: ReadonlySet<string>,
  added: readonly PlacedEvent[] = [],
): OccupancyView {
  const unchanged = added.length === 0 && [...excluded].every((id) => !view.has(id))
  const overlay: OccupancyView = {
    overlapping(range) {
      const found = view.overlapping(range).filter((p) => !excluded.has(p.id))
      if (added.length === 0) return found
      for (const p of added) if (p.start < range.end && range.start < p.end) found.push(p)
      return found.sort(byStartThenId)
    },
    attendedBy(emails) {
      if (emails.size === 0) return []
      const found = view.attendedBy(emails).filter((p) => !excluded.has(p.id))
      for (const p of added) if (attendsAny(p, emails)) found.push(p)
      return found
    },
    has: (id) => (!excluded.has(id) && view.has(id)) || added.some((p) => p.id === id),
    record: (id) => (excluded.has(id) ? undefined : view.record(id)),
    get size() {
      return view.size - [...excluded].filter((id) => view.has(id)).length + added.length
    },
  }
  const withChanges = view.earliestSlotWith?.bind(view)
  const fast = view.earliestSlot?.bind(view)
  if (withChanges) {
    overlay.earliestSlotWith = (query, moreExcluded, moreAdded) =>
      withChanges(query, new Set([...excluded, ...moreExcluded]), [
        ...added.filter((p) => !moreExcluded.has(p.id)),
        ...moreAdded,
      ])
    overlay.earliestSlot = (query) => withChanges(query, excluded, added)
  } else if (unchanged && fast) overlay.earliestSlot = fast
  return overlay
}

/** The view as the slot finder's interval index. */
export function viewIndex(view: OccupancyView): IntervalIndex<PlacedEvent> {
  let reads = 0
  return {
    overlapping(range) {
      const found = view.overlapping(range)
      reads += found.length
      return found
    },
    get reads() {
      return reads
    },
    size: view.size,
  }
}
