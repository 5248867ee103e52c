import type { Interval } from './types.js'

/**
 * A mutable ordered set of intervals: a treap (a binary search tree kept balanced in expectation by
 * random heap priorities) ordered by start, then by a tie-break key. Each node keeps the largest end and
 * the greatest length of its subtree (`lengthOf`, by default `end − start`), so "what overlaps this range"
 * and "the first interval at least this long" are answered by descending only into subtrees that can hold
 * an answer: O(log n + k) expected for k answers. Inserts and removals are O(log n) expected.
 */
export interface TreapNode<T extends Interval> {
  item: T
  key: string
  priority: number
  left: TreapNode<T> | null
  right: TreapNode<T> | null
  /** The largest `end` in this subtree. */
  maxEnd: number
  /** The greatest `lengthOf(item)` in this subtree. */
  maxLength: number
}

// A small deterministic generator (mulberry32): priorities only need to look random, and a fixed seed
// keeps the shapes (and so any cost measurement) reproducible.
function priorities(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An item's length as the treap measures it: what `firstLongAfter` compares. */
export type LengthOf<T extends Interval> = (item: T) => number

const span = (item: Interval): number => item.end - item.start

function update<T extends Interval>(node: TreapNode<T>, lengthOf: LengthOf<T>): void {
  let maxEnd = node.item.end
  let maxLength = lengthOf(node.item)
  const { left, right } = node
  if (left) {
    if (left.maxEnd > maxEnd) maxEnd = left.maxEnd
    if (left.maxLength > maxLength) maxLength = left.maxLength
  }
  if (right) {
    if (right.maxEnd > maxEnd) maxEnd = right.maxEnd
    if (right.maxLength > maxLength) maxLength = right.maxLength
  }
  node.maxEnd = maxEnd
  node.maxLength = maxLength
}

/** Orders by start, then key (plain string order, as the store sorts ids bytewise for ASCII ids). */
function before(start: number, key: string, node: { item: Interval; key: string }): boolean {
  return start < node.item.start || (start === node.item.start && key < node.key)
}

export class IntervalTreap<T extends Interval> {
  private root: TreapNode<T> | null = null
  private count = 0
  private readonly random: () => number

  /** `lengthOf` measures an item for `firstLongAfter` (by default `end − start`); it must not change while the item is in. */
  constructor(
    seed = 0x5eed,
    private readonly lengthOf: LengthOf<T> = span,
  ) {
    this.random = priorities(seed)
  }

  get size(): number {
    return this.count
  }

  /** Adds `item` under `key` (items with the same start are ordered by key; equal keys are allowed). */
  insert(item: T, key = ''): void {
    const node: TreapNode<T> = {
      item,
      key,
      priority: this.random(),
      left: null,
      right: null,
      maxEnd: item.end,
      maxLength: this.lengthOf(item),
    }
    const [low, high] = this.split(this.root, item.start, key)
    this.root = this.merge(this.merge(low, node), high)
    this.count++
  }

  /** Removes the item that is `===` to `item` (found by its start and key); answers whether it was there. */
  remove(item: T, key = ''): boolean {
    let removed = false
    const visit = (node: TreapNode<T> | null): TreapNode<T> | null => {
      if (!node) return null
      if (node.item === item) {
        removed = true
        return this.merge(node.left, node.right)
      }
      if (before(item.start, key, node)) node.left = visit(node.left)
      else if (item.start === node.item.start && key === node.key) {
        // Equal keys: the item may sit on either side.
        node.left = visit(node.left)
        if (!removed) node.right = visit(node.right)
      } else node.right = visit(node.right)
      update(node, this.lengthOf)
      return node
    }
    this.root = visit(this.root)
    if (removed) this.count--
    return removed
  }

  /** The items whose [start, end) overlaps `range` (half-open), in order. Empty items overlap nothing. */
  overlapping(range: Interval): T[] {
    const found: T[] = []
    if (range.end <= range.start) return found
    const visit = (node: TreapNode<T> | null): void => {
      if (!node || node.maxEnd <= range.start) return
      visit(node.left)
      if (node.item.start >= range.end) return
      if (node.item.end > range.start && node.item.end > node.item.start) found.push(node.item)
      visit(node.right)
    }
    visit(this.root)
    return found
  }

  /** The last item (in order) whose start is at or before `at`, or null. */
  lastStartingAtOrBefore(at: number): T | null {
    let node = this.root
    let best: T | null = null
    while (node) {
      if (node.item.start <= at) {
        best = node.item
        node = node.right
      } else node = node.left
    }
    return best
  }

  /** The first item (in order) whose start is at or after `at`, or null. */
  firstStartingAtOrAfter(at: number): T | null {
    let node = this.root
    let best: T | null = null
    while (node) {
      if (node.item.start >= at) {
        best = node.item
        node = node.left
      } else node = node.right
    }
    return best
  }

  /** The first item (in order) that starts after `after` and whose `lengthOf` is at least `length`, or null. */
  firstLongAfter(after: number, length: number): T | null {
    const visit = (node: TreapNode<T> | null): T | null => {
      if (!node || node.maxLength < length || node.maxEnd <= after) return null
      if (node.item.start <= after) return visit(node.right)
      const left = visit(node.left)
      if (left) return left
      if (this.lengthOf(node.item) >= length) return node.item
      return visit(node.right)
    }
    return visit(this.root)
  }

  /** Every item, in order. */
  items(): T[] {
    const all: T[] = []
    const visit = (node: TreapNode<T> | null): void => {
      if (!node) return
      visit(node.left)
      all.push(node.item)
      visit(node.right)
    }
    visit(this.root)
    return all
  }

  /** Splits into the nodes ordered before (start, key) and the rest. */
  private split(
    node: TreapNode<T> | null,
    start: number,
    key: string,
  ): [TreapNode<T> | null, TreapNode<T> | null] {
    if (!node) return [null, null]
    if (before(start, key, node)) {
      const [low, high] = this.split(node.left, start, key)
      node.left = high
      update(node, this.lengthOf)
      return [low, node]
    }
    const [low, high] = this.split(node.right, start, key)
    node.right = low
    update(node, this.lengthOf)
    return [node, high]
  }

  private merge(low: TreapNode<T> | null, high: TreapNode<T> | null): TreapNode<T> | null {
    if (!low) return high
    if (!high) return low
    if (low.priority > high.priority) {
      low.right = this.merge(low.right, high)
      update(low, this.lengthOf)
      return low
    }
    high.left = this.merge(low, high.left)
    update(high, this.lengthOf)
    return high
  }
}
