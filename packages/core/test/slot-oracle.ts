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

/** Minutes after the day's local midnight of a range's start and end (an end not after the start: next day). */
function rangeMinutes(range: { start: string; end: string }): [number, number] {
  const start = parseMinutes(range.start)
  const end = parseMinutes(range.end)
  return [start, end > start ? end : end + 24 * 60]
}

/** True when the week's ranges leave no minute of the local wall-clock week uncovered. */
export function oracleAlwaysWorking(settings: CalendarSettings): boolean {
  const covered = new Array<boolean>(7 * 24 * 60).fill(false)
  DAY_NAMES.forEach((name, day) => {
    for (const range of settings.workingHours[name]) {
      const [start, end] = rangeMinutes(range)
      for (let m = start; m < end; m++) covered[(day * 24 * 60 + m) % covered.length] = true
    }
  })
  return covered.every(Boolean)
}

/**
 * The working intervals around [from, to]: every range of every local day from ten days before to ten days
 * after (an interval joined across days lasts under a week) as instants, the empty ones dropped, the rest sorted and
 * joined where they touch or overlap. Working time without a gap is one interval (−∞, +∞).
 */
export function oracleWorkingIntervals(settings: CalendarSettings, from: number, to: number): Interval[] {
  if (oracleAlwaysWorking(settings))
    return [{ start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY }]
  const zone = settings.timezone
  const lastDay = DateTime.fromMillis(to, { zone }).plus({ days: 10 }).toISODate() as string
  let cursor = DateTime.fromISO(DateTime.fromMillis(from, { zone }).toISODate() as string, {
    zone: 'utc',
  }).minus({
    days: 10,
  })
  const pieces: Interval[] = []
  for (;;) {
    const day = cursor.toISODate() as string
    if (day > lastDay) break
    const name = DAY_NAMES[cursor.weekday - 1] as (typeof DAY_NAMES)[number]
    for (const range of settings.workingHours[name]) {
      const [startMinute, endMinute] = rangeMinutes(range)
      const endDay = cursor.plus({ days: Math.floor(endMinute / (24 * 60)) }).toISODate() as string
      const start = oracleLocalInstant(zone, day, startMinute)
      const end = oracleLocalInstant(zone, endDay, endMinute % (24 * 60))
      if (end > start) pieces.push({ start, end })
    }
    cursor = cursor.plus({ days: 1 })
  }
  pieces.sort((a, b) => a.start - b.start)
  const joined: Interval[] = []
  for (const piece of pieces) {
    const last = joined[joined.length - 1]
    if (last && piece.start <= last.end) last.end = Math.max(last.end, piece.end)
    else joined.push({ ...piece })
  }
  return joined
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
    const around = working.find((w) => w.start <= slot.start && slot.end <= w.end)
    if (!around) continue
    if (settings.blackouts.some((b) => hits(b, slot))) continue
    if (q.occupied.some((o) => hits(o, { start: s - buffer, end: slot.end + buffer }))) continue
    if (q.busy.some((b) => hits(b, slot))) continue
    // Boundaries: every slotMinutes of wall-clock time from where the working interval begins; from
    // each local midnight when working time never begins.
    const local = DateTime.fromMillis(s, { zone: settings.timezone })
    if (local.second !== 0 || local.millisecond !== 0) continue
    if (Number.isFinite(around.start)) {
      const sinceStart =
        wallKey(local) - wallKey(DateTime.fromMillis(around.start, { zone: settings.timezone }))
      if (sinceStart % (settings.slotMinutes * MIN) !== 0) continue
    } else if ((local.hour * 60 + local.minute) % settings.slotMinutes !== 0) continue
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
