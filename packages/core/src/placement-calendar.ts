import { DAY_MS } from './calendar-policy.js'
import { FreeGapIndex, type GapQuery } from './free-gap-index.js'
import { IntervalTreap } from './interval-treap.js'
import { type JobPlan, type JobPlanInput, planJob } from './job-planner.js'
import { attendsAny, type OccupancyView, type PlacedEvent, placedEventOf } from './occupancy-view.js'
import type { CalendarSettings, EventRecord, Instant, Interval, JobRecord } from './types.js'

/** What the placement worker loads when it takes a calendar over, read in one consistent snapshot. */
export interface CalendarSnapshot {
  settings: CalendarSettings
  /** The calendar's revision when the snapshot was read (see the store's `loadCalendar`). */
  revision: number
  /** The instant the snapshot is complete from: every stored-`scheduled` event that ends after it. */
  from: Instant
  /**
   * Those events' placements (id, time, placement, attendees), by start then id: all the planner reads of
   * an occupying event on every job. The calendar keeps these very objects.
   */
  events: PlacedEvent[]
  /** Every registered busy time of the calendar, per lower-cased email. */
  busy: ReadonlyMap<string, Interval[]>
}

/** How far ahead of the horizon the free-gap index is built, so it grows once a week, not once a job. */
const GAP_MARGIN_MS = 7 * DAY_MS

/** Shared by every event without attendees. */
const NO_ATTENDEES: readonly never[] = Object.freeze([])

const NO_RECORDS: ReadonlyMap<string, EventRecord | null> = new Map()

/**
 * The placement worker's calendar, held in memory: the settings, the occupying (stored-`scheduled`)
 * events' placements in an interval treap and a free-gap index, and the attendees' busy times. It is
 * loaded once from a store snapshot and kept current by the plans the worker applies (`apply`), so
 * planning a job reads nothing from the store. It is an `OccupancyView`: `planJob` plans against it
 * directly, and auto placements take their slot from the free-gap index in O(log n) — also for an event
 * that moves (an update) and for the events a fixed event displaces (`earliestSlotWith`).
 *
 * It keeps no event records (titles, descriptions… are not needed to place): a plan that needs the
 * records of displaced events gets them from the caller (`plan`'s `records`), or throws
 * `RecordsNeededError` naming them.
 *
 * It knows the calendar from `from` on: a plan that depends on earlier times (`covers` false) must be
 * made from the store instead.
 */
export class PlacementCalendar implements OccupancyView {
  readonly settings: CalendarSettings
  readonly busy: ReadonlyMap<string, Interval[]>
  readonly from: Instant
  /** The store revision this calendar reflects: the snapshot's, then each commit's. */
  revision: number
  private readonly placements = new Map<string, PlacedEvent>()
  private readonly timeline = new IntervalTreap<PlacedEvent>(0x7a11)
  private readonly byEmail = new Map<string, Set<string>>()
  private readonly gaps: FreeGapIndex
  /** The records `plan` was given, while it plans. */
  private records: ReadonlyMap<string, EventRecord | null> = NO_RECORDS

  /** Builds the calendar of `snapshot`; `now` starts the free-gap index's domain. */
  constructor(snapshot: CalendarSnapshot, now: Instant) {
    this.settings = snapshot.settings
    this.busy = snapshot.busy
    this.from = snapshot.from
    this.revision = snapshot.revision
    const start = Math.max(now, snapshot.from)
    for (const placed of snapshot.events) this.add(placed)
    this.gaps = new FreeGapIndex(
      this.settings,
      start,
      start + this.settings.horizonDays * DAY_MS + GAP_MARGIN_MS,
      [],
      this.timeline,
    )
  }

  get size(): number {
    return this.timeline.size
  }

  /** True when the calendar knows every occupying event that overlaps `range`. */
  covers(range: Interval): boolean {
    return range.start >= this.from
  }

  has(id: string): boolean {
    return this.placements.has(id)
  }

  overlapping(range: Interval): PlacedEvent[] {
    return this.timeline.overlapping(range)
  }

  attendedBy(emails: ReadonlySet<string>): PlacedEvent[] {
    const ids = new Set<string>()
    for (const email of emails) for (const id of this.byEmail.get(email) ?? []) ids.add(id)
    const found: PlacedEvent[] = []
    for (const id of ids) {
      const placed = this.placements.get(id)
      if (placed && attendsAny(placed, emails)) found.push(placed)
    }
    return found.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** The record of an occupying event among those `plan` was given; undefined otherwise. */
  record(id: string): EventRecord | undefined {
    return this.placements.has(id) ? (this.records.get(id) ?? undefined) : undefined
  }

  earliestSlot(query: GapQuery): Interval | null | undefined {
    if (query.to > this.gaps.end) this.gaps.extendTo(query.to + GAP_MARGIN_MS)
    return this.gaps.earliest(query)
  }

  /**
   * The earliest slot with the events of `excluded` taken out and `added` put in, answered by the
   * free-gap index: the changes are applied for the question and undone after it (O(log n) each).
   */
  earliestSlotWith(
    query: GapQuery,
    excluded: ReadonlySet<string>,
    added: readonly PlacedEvent[],
  ): Interval | null | undefined {
    if (query.to > this.gaps.end) this.gaps.extendTo(query.to + GAP_MARGIN_MS)
    const removed: PlacedEvent[] = []
    const inserted: PlacedEvent[] = []
    const take = (id: string) => {
      const placed = this.placements.get(id)
      if (!placed || removed.includes(placed)) return
      this.timeline.remove(placed, id)
      this.gaps.release(placed)
      removed.push(placed)
    }
    try {
      for (const id of excluded) take(id)
      for (const placed of added) {
        take(placed.id)
        if (!(placed.end > placed.start)) continue
        this.timeline.insert(placed, placed.id)
        this.gaps.occupy(placed)
        inserted.push(placed)
      }
      return this.gaps.earliest(query)
    } finally {
      for (const placed of inserted.reverse()) {
        this.timeline.remove(placed, placed.id)
        this.gaps.release(placed)
      }
      for (const placed of removed.reverse()) {
        this.timeline.insert(placed, placed.id)
        this.gaps.occupy(placed)
      }
    }
  }

  /** Every occupying event's placement, by start then id (tests compare it with the store). */
  events(): PlacedEvent[] {
    return this.timeline.items()
  }

  /**
   * Plans one job against this calendar (`planJob`, with this calendar's settings and busy times).
   * `records`: the stored records the plan may need by id (at least those of the events it displaces,
   * as of the plans applied so far); throws `RecordsNeededError` naming the ones it lacks.
   */
  plan(
    job: JobRecord,
    event: EventRecord | null,
    now: Instant,
    records: ReadonlyMap<string, EventRecord | null> = NO_RECORDS,
  ): JobPlan {
    const input: JobPlanInput = { job, event, settings: this.settings, now, occupying: this, busy: this.busy }
    this.records = records
    try {
      return planJob(input)
    } finally {
      this.records = NO_RECORDS
    }
  }

  /** Applies a plan's event writes: the last record of each upserted event, then the deletions. */
  apply(plan: Pick<JobPlan, 'upserts' | 'deletions'>): void {
    for (const record of plan.upserts) {
      this.remove(record.id)
      if (record.status !== 'scheduled') continue
      const placed = placedEventOf(record)
      if (placed) this.add(placed, true)
    }
    for (const id of plan.deletions) this.remove(id)
  }

  private add(placed: PlacedEvent, indexGaps = false): void {
    if (!(placed.end > placed.start)) return
    if (placed.attendees.length === 0) placed.attendees = NO_ATTENDEES
    this.placements.set(placed.id, placed)
    this.timeline.insert(placed, placed.id)
    for (const attendee of placed.attendees) {
      const email = attendee.email.toLowerCase()
      const ids = this.byEmail.get(email) ?? new Set<string>()
      ids.add(placed.id)
      this.byEmail.set(email, ids)
    }
    if (indexGaps) this.gaps.occupy(placed)
  }

  private remove(id: string): void {
    const placed = this.placements.get(id)
    if (!placed) return
    this.placements.delete(id)
    this.timeline.remove(placed, id)
    for (const attendee of placed.attendees) {
      const email = attendee.email.toLowerCase()
      const ids = this.byEmail.get(email)
      ids?.delete(id)
      if (ids?.size === 0) this.byEmail.delete(email)
    }
    this.gaps.release(placed)
  }
}
