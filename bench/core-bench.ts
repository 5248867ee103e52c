import {
  type CalendarSettings,
  createIntervalIndex,
  type EventRecord,
  findSlot,
  type Interval,
  parseWorkingHoursSpec,
  planPlacement,
} from '@scheduler/core'

const MINUTE = 60_000
const DAY = 86_400_000

const settings: CalendarSettings = {
  id: 'default',
  timezone: 'America/New_York',
  workingHours: parseWorkingHoursSpec('mon-fri 09:00-17:00'),
  bufferMinutes: 5,
  slotMinutes: 15,
  minNoticeMinutes: 0,
  horizonDays: 60,
  blackouts: [],
}

/** A busy calendar: every working day of the horizon filled with 30-minute meetings, one gap a day. */
function busyCalendar(now: number): EventRecord[] {
  const events: EventRecord[] = []
  for (let day = 0; day < settings.horizonDays; day++) {
    const base = Math.floor((now + day * DAY) / DAY) * DAY + 14 * 60 * MINUTE // 09:00 New York (EST)
    const weekday = new Date(base).getUTCDay()
    if (weekday === 0 || weekday === 6) continue
    for (let slot = 0; slot < 12; slot++) {
      if (slot === day % 12) continue
      const start = base + slot * 40 * MINUTE
      events.push(anEvent(`evt_${day}_${slot}`, start, start + 30 * MINUTE))
    }
  }
  return events
}

function anEvent(id: string, start: number, end: number): EventRecord {
  return {
    id,
    calendarId: 'default',
    title: id,
    description: null,
    location: null,
    attendees: [],
    durationMinutes: (end - start) / MINUTE,
    placement: 'auto',
    window: null,
    requestedStart: null,
    start,
    end,
    status: 'scheduled',
    failure: null,
    attendeeConflicts: [],
    outsideWorkingHours: false,
    version: 2,
    sequence: 1,
    createdAt: start,
    updatedAt: start,
  }
}

function measure(
  name: string,
  iterations: number,
  run: () => unknown,
): { name: string; opsPerSecond: number; microsPerOp: number } {
  for (let i = 0; i < Math.min(50, iterations); i++) run()
  const started = performance.now()
  for (let i = 0; i < iterations; i++) run()
  const elapsed = performance.now() - started
  return {
    name,
    opsPerSecond: Math.round((iterations / elapsed) * 1000),
    microsPerOp: Number(((elapsed / iterations) * 1000).toFixed(1)),
  }
}

/** Slot finding and fixed-event planning on a full 60-day calendar (no I/O). */
export function runCoreBench(): void {
  const now = Date.parse('2026-12-01T12:00:00Z')
  const events = busyCalendar(now)
  const occupied = createIntervalIndex<Interval>(
    events.map(({ start, end }) => ({ start: start ?? 0, end: end ?? 0 })),
  )
  const none = createIntervalIndex<Interval>([])
  const heapBefore = process.memoryUsage().heapUsed

  const rows = [
    measure('findSlot, 40-minute event, earliest in horizon', 2_000, () =>
      findSlot({ settings, now, durationMinutes: 40, window: null, occupied, busy: none }),
    ),
    measure('findSlot, 30-minute event on one date', 5_000, () =>
      findSlot({
        settings,
        now,
        durationMinutes: 30,
        window: { kind: 'date', date: '2026-12-15' },
        occupied,
        busy: none,
      }),
    ),
    measure('findSlot, 90-minute event (no slot: full horizon scan + alternatives)', 200, () =>
      findSlot({ settings, now, durationMinutes: 90, window: null, occupied, busy: none }),
    ),
    measure('planPlacement, fixed event displacing 2 auto events', 1_000, () =>
      planPlacement({
        settings,
        now,
        event: {
          ...anEvent('evt_fixed', 0, 0),
          placement: 'fixed',
          requestedStart: events[20]?.start ?? now,
          status: 'pending',
          start: null,
          end: null,
          durationMinutes: 60,
        },
        occupying: events,
        busy: new Map(),
      }),
    ),
  ]
  const heapAfter = process.memoryUsage().heapUsed
  console.log(`core: a calendar of ${events.length} occupying events over ${settings.horizonDays} days`)
  console.table(rows)
  console.log(`core: heap growth during the runs ${((heapAfter - heapBefore) / 1024 / 1024).toFixed(1)} MiB`)
}
