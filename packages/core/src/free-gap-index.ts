import { DAY_MS, iterateWorkingIntervals, MINUTE_MS, nextSlotBoundary } from './calendar-policy.js'
import type { IntervalIndex } from './interval-index.js'
import { IntervalTreap } from './interval-treap.js'
import { windowInterval } from './slot-finder.js'
import type { CalendarSettings, Instant, Interval, PlacementWindow } from './types.js'

/** A free stretch of one working interval: no occupying event (widened by the buffer) and no blackout. */
interface Gap extends Interval {
  /** The start of the working interval the gap lies in: slot boundaries count from it (may be −∞). */
  workStart: Instant
  /** The gap's first slot boundary (may lie at or past `end`): a slot can start no earlier in it. */
  firstBoundary: Instant
}

/**
 * What a gap offers a slot that starts at its first boundary: the treap's measure of it. A gap longer than
 * an event but without a boundary early enough (10 free minutes after a 5-minute event on a 15-minute grid)
 * measures less than the event, so the search skips it in the descent instead of one gap at a time: on a
 * horizon booked that way, every query used to walk all of its gaps.
 */
const usableLength = (gap: Gap): number => gap.end - gap.firstBoundary

/**
 * The occupied intervals, when their owner keeps them in an index of its own (the in-memory calendar's
 * timeline): the free-gap index asks it instead of keeping a copy. The owner adds an interval before
 * calling `occupy` and removes it before calling `release`.
 */
export interface OccupiedSource {
  overlapping(range: Interval): Interval[]
}

/** What the index is asked: the earliest slot of `durationMinutes` inside [from, to). */
export interface GapQuery {
  /** The earliest start: max(now + notice, window start). */
  from: Instant
  /** The latest end: min(now + horizon, window end). */
  to: Instant
  durationMinutes: number
  /** Intervals the slot must not overlap besides the calendar's own (required attendees' busy times). */
  busy?: IntervalIndex
}

/**
 * The free gaps of a calendar: working time (`iterateWorkingIntervals`) minus the occupying events widened
 * by `bufferMinutes` minus the blackouts, kept in a treap ordered by start and augmented with the longest
 * gap of each subtree, measured from its first slot boundary. It answers "the earliest slot of at least d
 * minutes at or after t" in O(log n) expected (one descent to the first gap with d minutes from its first
 * boundary, then a check of the busy times, continuing past the gap when they clash), instead of walking
 * every placed event or every gap.
 *
 * It covers [from, to) (its domain); `extendTo` grows the end as the horizon moves. Occupied intervals
 * are added and removed as the worker applies plans. Its answers are those of `findSlot` whenever a slot
 * exists (property-tested against it and the minute-by-minute oracle).
 */
export class FreeGapIndex {
  private readonly gaps = new IntervalTreap<Gap>(0x9a95, usableLength)
  /** Occupying events widened by the buffer (a multiset: widened intervals may overlap). */
  private readonly blockers = new IntervalTreap<Interval>(0xb10c)
  private readonly blackouts: Interval[]
  private readonly buffer: number
  /** Where the occupied intervals live when their owner keeps them (then `blockers` stays empty). */
  private readonly source: OccupiedSource | null
  private domainEnd: Instant

  /**
   * Builds the gaps of [from, to) given the occupying intervals (events' [start, end), not widened).
   * Throws RangeError when the domain is not finite.
   */
  constructor(
    private readonly settings: CalendarSettings,
    readonly domainStart: Instant,
    to: Instant,
    occupied: Iterable<Interval> = [],
    source?: OccupiedSource,
  ) {
    if (!Number.isFinite(domainStart) || !Number.isFinite(to))
      throw new RangeError('The domain must be finite')
    this.buffer = settings.bufferMinutes * MINUTE_MS
    this.blackouts = settings.blackouts
      .filter((b) => b.end > b.start)
      .map((b) => ({ start: b.start, end: b.end }))
      .sort((a, b) => a.start - b.start)
    this.source = source ?? null
    if (!this.source) for (const interval of occupied) this.addBlocker(interval)
    this.domainEnd = Math.max(domainStart, to)
    this.fill(domainStart, this.domainEnd)
  }

  get end(): Instant {
    return this.domainEnd
  }

  /** How many gaps the index holds (a size measure for tests and metrics). */
  get gapCount(): number {
    return this.gaps.size
  }

  /** Every gap, in order (tests). */
  allGaps(): Interval[] {
    return this.gaps.items().map(({ start, end }) => ({ start, end }))
  }

  /** Marks [start, end) of an occupying event as taken (with the buffer around it). */
  occupy(interval: Interval): void {
    if (!(interval.end > interval.start)) return
    const blocker = this.source
      ? { start: interval.start - this.buffer, end: interval.end + this.buffer }
      : this.addBlocker(interval)
    for (const gap of this.gaps.overlapping(blocker)) {
      this.gaps.remove(gap)
      if (gap.start < blocker.start) this.addGap(gap.start, blocker.start, gap.workStart)
      if (blocker.end < gap.end) this.addGap(blocker.end, gap.end, gap.workStart)
    }
  }

  /** Frees what `occupy(interval)` took (other events, their buffers and blackouts still block). */
  release(interval: Interval): void {
    if (!(interval.end > interval.start)) return
    const start = interval.start - this.buffer
    const end = interval.end + this.buffer
    if (!this.source) {
      const found = this.blockers
        .overlapping({ start, end: start + 1 })
        .find((b) => b.start === start && b.end === end)
      if (!found) return
      this.blockers.remove(found)
    }
    this.refresh(Math.max(start, this.domainStart), Math.min(end, this.domainEnd))
  }

  /** Grows the domain to end at `to` (no-op when it already does). */
  extendTo(to: Instant): void {
    if (!(to > this.domainEnd)) return
    const from = this.domainEnd
    this.domainEnd = to
    this.refresh(from, to)
  }

  /**
   * The earliest slot of the query: on a slot boundary (`nextSlotBoundary`), inside one working interval,
   * in [from, to), clear of the occupied intervals with their buffer, of blackouts and of `busy`. Null
   * when there is none. Answers undefined when the query reaches outside the domain (the caller then
   * asks `findSlot`).
   */
  earliest(query: GapQuery): Interval | null | undefined {
    const duration = query.durationMinutes * MINUTE_MS
    if (!(duration > 0)) throw new RangeError('durationMinutes must be positive')
    if (!(query.from >= this.domainStart) || !(query.to <= this.domainEnd)) return undefined
    let t = query.from
    for (;;) {
      if (t + duration > query.to) return null
      const gap = this.firstGapFitting(t, duration)
      if (!gap) return null
      const start = this.align(gap, Math.max(gap.start, t))
      const end = start + duration
      if (end > gap.end) {
        t = gap.end
        continue
      }
      if (end > query.to) return null
      const clash = query.busy?.overlapping({ start, end }) ?? []
      if (clash.length > 0) {
        t = Math.max(...clash.map((b) => b.end))
        continue
      }
      return { start, end }
    }
  }

  /** The first slot boundary at or after `at` in `gap`: the one place this index decides alignment. */
  private align(gap: Gap, at: Instant): Instant {
    if (at <= gap.start) return gap.firstBoundary
    return nextSlotBoundary(this.settings, { start: gap.workStart }, at)
  }

  /** The first gap (in order) with at least `duration` of free time at or after `t` (from its first boundary, for a gap after `t`). */
  private firstGapFitting(t: Instant, duration: number): Gap | null {
    const containing = this.gaps.lastStartingAtOrBefore(t)
    if (containing && containing.end - t >= duration) return containing
    return this.gaps.firstLongAfter(t, duration)
  }

  /** The occupied intervals widened by the buffer that overlap `range`. */
  private blockersOverlapping(range: Interval): Interval[] {
    if (!this.source) return this.blockers.overlapping(range)
    const b = this.buffer
    return this.source
      .overlapping({ start: range.start - b, end: range.end + b })
      .map((o) => ({ start: o.start - b, end: o.end + b }))
  }

  private addBlocker(interval: Interval): Interval {
    const blocker = { start: interval.start - this.buffer, end: interval.end + this.buffer }
    this.blockers.insert(blocker)
    return blocker
  }

  private addGap(start: Instant, end: Instant, workStart: Instant): void {
    if (!(end > start)) return
    const firstBoundary = nextSlotBoundary(this.settings, { start: workStart }, start)
    this.gaps.insert({ start, end, workStart, firstBoundary })
  }

  /**
   * Recomputes the gaps of [from, to) after something there was freed (or the domain grew): a gap that
   * ends at `from` or starts at `to` is merged in, so gaps stay maximal.
   */
  private refresh(from: Instant, to: Instant): void {
    if (!(to > from)) return
    let low = from
    let high = to
    const left = this.gaps.lastStartingAtOrBefore(from)
    if (left && left.end >= from) {
      this.gaps.remove(left)
      low = Math.min(low, left.start)
      high = Math.max(high, left.end)
    }
    for (const inside of this.gaps.overlapping({ start: low, end: high })) {
      this.gaps.remove(inside)
      high = Math.max(high, inside.end)
    }
    const right = this.gaps.firstStartingAtOrAfter(high)
    if (right && right.start === high) {
      this.gaps.remove(right)
      high = right.end
    }
    this.fill(low, high)
  }

  /** Inserts the gaps of [from, to): each working interval's part of it minus blockers and blackouts. */
  private fill(from: Instant, to: Instant): void {
    if (!(to > from)) return
    for (const working of iterateWorkingIntervals(this.settings, { start: from, end: to })) {
      const low = Math.max(working.start, from)
      const high = Math.min(working.end, to)
      if (!(high > low)) continue
      const range = { start: low, end: high }
      const taken = [
        ...this.blockersOverlapping(range),
        ...this.blackouts.filter((b) => b.start < high && b.end > low),
      ]
      taken.sort((a, b) => a.start - b.start)
      let cursor = low
      for (const blocker of taken) {
        if (blocker.start > cursor) this.addGap(cursor, Math.min(blocker.start, high), working.start)
        if (blocker.end > cursor) cursor = blocker.end
        if (cursor >= high) break
      }
      if (cursor < high) this.addGap(cursor, high, working.start)
    }
  }
}

/**
 * The gap query of an auto placement (the bounds `findSlot` searches): from max(now + minNoticeMinutes,
 * window start) to min(now + horizonDays × 24 h, window end).
 */
export function gapQueryOf(q: {
  settings: CalendarSettings
  now: Instant
  durationMinutes: number
  window: PlacementWindow
  busy?: IntervalIndex
}): GapQuery {
  const window = windowInterval(q.settings, q.window)
  const query: GapQuery = {
    from: Math.max(q.now + q.settings.minNoticeMinutes * MINUTE_MS, window.start),
    to: Math.min(q.now + q.settings.horizonDays * DAY_MS, window.end),
    durationMinutes: q.durationMinutes,
  }
  if (q.busy) query.busy = q.busy
  return query
}
