/**
 * A brute-force reading of the auto placement rules, written from the contract and sharing no code with
 * src/: every UTC minute of the horizon is a candidate start, checked rule by rule. Slow on purpose; use
 * it with small calendars (horizon of a few days).
 */
import { DateTime } from 'luxon'
import type { CalendarSettings, Failure, Interval, PlacementWindow } from '../src/types.js'

const MIN = 60_000
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const

export interface OracleQuery {
  settings: CalendarSettings
  now: number
  durationMinutes: number
  window: PlacementWindow
  occupied: Interval[]
  busy: Interval[]
}

function wallKey(dt: DateTime): number {
  return Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond)
}

/**
 * The instant a local wall-clock time names: the earliest instant showing it; when none does (a
 * spring-forward gap), the time is shifted forward by the gap's length.
 */
export function oracleLocalInstant(zone: string, date: string, minuteOfDay: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const target = Date.UTC(y, m - 1, d) + minuteOfDay * MIN
  const matches: number[] = []
  for (let offset = -16 * 60; offset <= 16 * 60; offset += 15) {
    const instant = target - offset * MIN
    if (wallKey(DateTime.fromMillis(instant, { zone })) === target) matches.push(instant)
  }
  if (matches.length > 0) return Math.min(...matches)
  // A gap: find the instant T where the wall clock jumps past the target, and W1 the wall time just before.
  let t = target - 16 * 60 * MIN
  while (wallKey(DateTime.fromMillis(t, { zone })) <= target) t += MIN
  const wallBefore = wallKey(DateTime.fromMillis(t - MIN, { zone })) + MIN
  return t + (target - wallBefore)
}

function parseMinutes(text: string): number {
  const [h, m] = text.split(':').map(Number) as [number, number]
  return h * 60 + m
}

/** Working intervals of the local days around [from, to], with the DST clipping rule of the docs. */
export function oracleWorkingIntervals(settings: CalendarSettings, from: number, to: number): Interval[] {
  const zone = settings.timezone
  let day = DateTime.fromMillis(from, { zone }).toISODate() as string
  const lastDay = DateTime.fromMillis(to, { zone }).plus({ days: 2 }).toISODate() as string
  let cursor = DateTime.fromISO(day, { zone: 'utc' }).minus({ days: 3 })
  const result: Interval[] = []
  let previousEnd = Number.NEGATIVE_INFINITY
  for (;;) {
    day = cursor.toISODate() as string
    if (day > lastDay) break
    const name = DAY_NAMES[cursor.weekday - 1] as (typeof DAY_NAMES)[number]
    for (const range of settings.workingHours[name]) {
      let start = oracleLocalInstant(zone, day, parseMinutes(range.start))
      const end = oracleLocalInstant(zone, day, parseMinutes(range.end))
      if (start < previousEnd) start = previousEnd
      if (end <= start) continue
      previousEnd = end
      result.push({ start, end })
    }
    cursor = cursor.plus({ days: 1 })
  }
  return result
}

function windowOf(q: OracleQuery): Interval {
  const w = q.window
  if (w === null) return { start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }
  if (w.kind === 'date') {
    const start = oracleLocalInstant(q.settings.timezone, w.date, 0)
    const next = DateTime.fromISO(w.date, { zone: 'utc' }).plus({ days: 1 }).toISODate() as string
    return { start, end: oracleLocalInstant(q.settings.timezone, next, 0) }
  }
  return { start: w.notBefore ?? Number.NEGATIVE_INFINITY, end: w.notAfter ?? Number.POSITIVE_INFINITY }
}

function hits(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end
}

/** Every slot satisfying all rules but the window, earliest first. */
function relaxedSlots(q: OracleQuery): Interval[] {
  const { settings } = q
  const duration = q.durationMinutes * MIN
  const buffer = settings.bufferMinutes * MIN
  const earliest = q.now + settings.minNoticeMinutes * MIN
  const horizonEnd = q.now + settings.horizonDays * 24 * 60 * MIN
  const working = oracleWorkingIntervals(settings, q.now - 2 * 24 * 60 * MIN, horizonEnd)
  const slots: Interval[] = []
  for (let s = Math.ceil(earliest / MIN) * MIN; s + duration <= horizonEnd; s += MIN) {
    const slot = { start: s, end: s + duration }
    if (!working.some((w) => w.start <= slot.start && slot.end <= w.end)) continue
    if (settings.blackouts.some((b) => hits(b, slot))) continue
    if (q.occupied.some((o) => hits(o, { start: s - buffer, end: slot.end + buffer }))) continue
    if (q.busy.some((b) => hits(b, slot))) continue
    const local = DateTime.fromMillis(s, { zone: settings.timezone })
    if (local.second !== 0 || local.millisecond !== 0) continue
    if ((local.hour * 60 + local.minute) % settings.slotMinutes !== 0) continue
    slots.push(slot)
  }
  return slots
}

export interface OracleAnswer {
  /** Every feasible slot of the query, earliest first. */
  slots: Interval[]
  /** What findSlot must answer (message aside). */
  result: { ok: true; slot: Interval } | { ok: false; code: Failure['code']; alternatives: Interval[] }
}

export function oracle(q: OracleQuery): OracleAnswer {
  const horizonEnd = q.now + q.settings.horizonDays * 24 * 60 * MIN
  const win = windowOf(q)
  const relaxed = relaxedSlots(q)
  const beyond = q.window !== null && win.start >= horizonEnd
  const slots = beyond ? [] : relaxed.filter((s) => s.start >= win.start && s.end <= win.end)
  const first = slots[0]
  if (first) return { slots, result: { ok: true, slot: first } }
  const distance = (s: Interval) => Math.max(0, win.start - s.start, s.end - win.end)
  const alternatives = [...relaxed]
    .sort((a, b) => distance(a) - distance(b) || a.start - b.start)
    .slice(0, 3)
    .sort((a, b) => a.start - b.start)
  return {
    slots,
    result: { ok: false, code: beyond ? 'OUTSIDE_HORIZON' : 'NO_SLOT_AVAILABLE', alternatives },
  }
}
