import type { Interval } from './types.js'

/** True when two half-open intervals share at least one instant. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end
}

/** A static set of intervals answering "which overlap this range?" by looking only near the range. */
export interface IntervalIndex<T extends Interval = Interval> {
  /** The intervals that overlap `range` (half-open), by start. Empty intervals never overlap anything. */
  overlapping(range: Interval): T[]
  /** How many intervals all queries so far have examined (a cost measure). */
  readonly reads: number
  /** How many non-empty intervals the index holds. */
  readonly size: number
}

/**
 * Builds an implicit interval tree: the intervals sorted by start form a balanced binary tree (the middle
 * of every sub-array is its root) and each node keeps the largest end in its subtree. A query descends
 * only into subtrees that can reach the range, so it examines O(log n + k) intervals for k answers, and
 * long intervals that start well before the range are still found.
 */
export function createIntervalIndex<T extends Interval>(intervals: readonly T[]): IntervalIndex<T> {
  const items = intervals
    .filter((interval) => interval.end > interval.start)
    .sort((a, b) => a.start - b.start || a.end - b.end)
  const maxEnd = new Float64Array(items.length)
  const build = (low: number, high: number): number => {
    if (low >= high) return Number.NEGATIVE_INFINITY
    const middle = (low + high) >>> 1
    const max = Math.max((items[middle] as T).end, build(low, middle), build(middle + 1, high))
    maxEnd[middle] = max
    return max
  }
  build(0, items.length)

  let reads = 0
  return {
    overlapping(range: Interval): T[] {
      const found: T[] = []
      if (range.end <= range.start) return found
      const visit = (low: number, high: number): void => {
        if (low >= high) return
        const middle = (low + high) >>> 1
        reads++
        if ((maxEnd[middle] as number) <= range.start) return
        visit(low, middle)
        const item = items[middle] as T
        if (item.start >= range.end) return
        if (item.end > range.start) found.push(item)
        visit(middle + 1, high)
      }
      visit(0, items.length)
      return found
    },
    get reads() {
      return reads
    },
    get size() {
      return items.length
    },
  }
}
