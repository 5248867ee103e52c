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
  events: EventRecord[]
  /** Every registered busy time of the calendar, per lower-cased email. */
  busy: ReadonlyMap<string, Interval[]>
}

/** How far ahead of the horizon the free-gap index is built, so it grows once a week, not once a job. */
const GAP_MARGIN_MS = 7 * DAY_MS

/**
 * An occupying event as held in memory: its record as JSON text (a third of the memory of the object
 * graph; parsed only when a plan moves the event) and the little the planner reads on every job.
 */
interface Entry {
  json: string
  placed: PlacedEvent
}

/** Shared by every event without attendees. */
const NO_ATTENDEES: readonly never[] = Object.freeze([])

/**
 * The placement worker's calendar, held in memory: the settings, the occupying (stored-`scheduled`)
 * events in an interval treap and a free-gap index, and the attendees' busy times. It is loaded once from
 * a store snapshot and kept current by the plans the worker applies (`apply`), so planning a job reads
 * nothing from the store. It is an `OccupancyView`: `planJob` plans against it directly, and auto
 * placements take their slot from the free-gap index in O(log n).
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
  private readonly entries = new Map<string, Entry>()
  private readonly timeline = new IntervalTreap<PlacedEvent>(0x7a11)
  private readonly byEmail = new Map<string, Set<string>>()
  private readonly gaps: FreeGapIndex

  /** Builds the calendar of `snapshot`; `now` starts the free-gap index's domain. */
  constructor(snapshot: CalendarSnapshot, now: Instant) {
    this.settings = snapshot.settings
    this.busy = snapshot.busy
    this.from = snapshot.from
    this.revision = snapshot.revision
    const start = Math.max(now, snapshot.from)
    for (const record of snapshot.events) this.add(record)
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

  overlapping(range: Interval): PlacedEvent[] {
    return this.timeline.overlapping(range)
  }

  attendedBy(emails: ReadonlySet<string>): PlacedEvent[] {
    const ids = new Set<string>()
    for (const email of emails) for (const id of this.byEmail.get(email) ?? []) ids.add(id)
    const found: PlacedEvent[] = []
    for (const id of ids) {
      const entry = this.entries.get(id)
      if (entry && attendsAny(entry.placed, emails)) found.push(entry.placed)
    }
    return found.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  record(id: string): EventRecord | undefined {
    const entry = this.entries.get(id)
    return entry ? (JSON.parse(entry.json) as EventRecord) : undefined
  }

  earliestSlot(query: GapQuery): Interval | null | undefined {
    if (query.to > this.gaps.end) this.gaps.extendTo(query.to + GAP_MARGIN_MS)
    return this.gaps.earliest(query)
  }

  /** Every occupying event, by start then id (tests compare it with the store). */
  events(): EventRecord[] {
    return this.timeline
      .items()
      .map((placed) => JSON.parse((this.entries.get(placed.id) as Entry).json) as EventRecord)
  }

  /** Plans one job against this calendar (`planJob`, with this calendar's settings and busy times). */
  plan(job: JobRecord, event: EventRecord | null, now: Instant): JobPlan {
    const input: JobPlanInput = { job, event, settings: this.settings, now, occupying: this, busy: this.busy }
    return planJob(input)
  }

  /** Applies a plan's event writes: the last record of each upserted event, then the deletions. */
  apply(plan: Pick<JobPlan, 'upserts' | 'deletions'>): void {
    for (const record of plan.upserts) {
      this.remove(record.id)
      if (record.status === 'scheduled') this.add(record, true)
    }
    for (const id of plan.deletions) this.remove(id)
  }

  private add(record: EventRecord, indexGaps = false): Entry | null {
    if (record.status !== 'scheduled') return null
    const placed = placedEventOf(record)
    if (!placed) return null
    if (placed.attendees.length === 0) placed.attendees = NO_ATTENDEES
    const entry = { json: JSON.stringify(record), placed }
    this.entries.set(record.id, entry)
    this.timeline.insert(placed, record.id)
    for (const attendee of record.attendees) {
      const email = attendee.email.toLowerCase()
      const ids = this.byEmail.get(email) ?? new Set<string>()
      ids.add(record.id)
      this.byEmail.set(email, ids)
    }
    if (indexGaps) this.gaps.occupy(placed)
    return entry
  }

  private remove(id: string): void {
    const entry = this.entries.get(id)
    if (!entry) return
    this.entries.delete(id)
    this.timeline.remove(entry.placed, id)
    for (const attendee of entry.placed.attendees) {
      const email = attendee.email.toLowerCase()
      const ids = this.byEmail.get(email)
      ids?.delete(id)
      if (ids?.size === 0) this.byEmail.delete(email)
    }
    this.gaps.release(entry.placed)
  }
}
