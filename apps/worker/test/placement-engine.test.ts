import type { EventRecord, JobPayload } from '@scheduler/core'
import { openStore, type Store } from '@scheduler/store'
import { aCalendar, aJob, anEvent, uniqueId } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import fc from 'fast-check'
import pg from 'pg'
import t from 'tap'
import { createPlacementEngine, type PlacementEngine } from '../src/placement-engine.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** A 24/7 UTC calendar with 15-minute slots and a week's horizon. */
function settingsFor(id: string, bufferMinutes = 0) {
  const allDay = [{ start: '00:00', end: '24:00' }]
  return aCalendar({
    id,
    timezone: 'UTC',
    workingHours: {
      mon: allDay,
      tue: allDay,
      wed: allDay,
      thu: allDay,
      fri: allDay,
      sat: allDay,
      sun: allDay,
    },
    bufferMinutes,
    horizonDays: 7,
  })
}

async function submitJob(store: Store, calendarId: string, eventId: string, payload: JobPayload) {
  const job = aJob({ calendarId, eventId, type: payload.type, payload, createdAt: Date.now() })
  await store.submit({ calendarId, job })
  return job
}

async function submitCreate(store: Store, calendarId: string, overrides: Partial<EventRecord> = {}) {
  const event = anEvent({ calendarId, createdAt: Date.now(), updatedAt: Date.now(), ...overrides })
  const job = aJob({ calendarId, eventId: event.id, createdAt: Date.now() })
  await store.submit({ calendarId, job, event })
  return { job, event }
}

/** The engine's calendar against the store's snapshot: events, settings and busy times. */
async function sameAsStore(
  store: Store,
  engine: PlacementEngine,
  calendarId: string,
): Promise<string | null> {
  const calendar = engine.loaded(calendarId)
  if (!calendar) return null
  const snapshot = await store.loadCalendar(calendarId, calendar.from)
  if (!snapshot) return 'no snapshot'
  if (JSON.stringify(calendar.events()) !== JSON.stringify(snapshot.events)) return 'events differ'
  if (JSON.stringify(calendar.settings) !== JSON.stringify(snapshot.settings)) return 'settings differ'
  if (JSON.stringify([...calendar.busy]) !== JSON.stringify([...snapshot.busy])) return 'busy times differ'
  if (calendar.revision !== snapshot.revision) return 'revisions differ'
  return null
}

type Step =
  | { kind: 'create'; count: number; minutes: number; attendee: boolean; fixedAtHour: number | null }
  | { kind: 'cancel' | 'delete'; target: number }
  | { kind: 'resize'; target: number; minutes: number }
  | { kind: 'move'; target: number; fixedAtHour: number }
  | { kind: 'busy'; fromHour: number; hours: number }
  | { kind: 'settings'; bufferMinutes: number }
  | { kind: 'outside-plan'; atHour: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      count: fc.integer({ min: 1, max: 4 }),
      minutes: fc.constantFrom(15, 30, 60, 90),
      attendee: fc.boolean(),
      fixedAtHour: fc.option(fc.integer({ min: 1, max: 48 }), { freq: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom('cancel' as const, 'delete' as const), target: fc.nat(50) }),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.record({
        kind: fc.constant('resize' as const),
        target: fc.nat(50),
        minutes: fc.constantFrom(15, 30, 60, 120),
      }),
      fc.record({
        kind: fc.constant('move' as const),
        target: fc.nat(50),
        fixedAtHour: fc.integer({ min: 1, max: 48 }),
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('busy' as const),
      fromHour: fc.integer({ min: 0, max: 24 }),
      hours: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('settings' as const),
      bufferMinutes: fc.constantFrom(0, 5, 15),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('outside-plan' as const),
      atHour: fc.integer({ min: 1, max: 48 }),
    }),
  },
)

t.test(
  'the in-memory calendar equals the store after any sequence of plans and outside changes',
  async (t) => {
    const store = await openStore(await freshPostgres(t))
    t.teardown(() => store.close())
    const engine = createPlacementEngine({ store, clock: () => Date.now() })

    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
        const calendarId = uniqueId('cal')
        await store.ensureCalendar(settingsFor(calendarId))
        const base = Math.ceil(Date.now() / HOUR) * HOUR
        const eventIds: string[] = []
        const place = async (jobIds: string[]) => {
          const outcomes = await engine.place(calendarId, jobIds)
          for (const id of jobIds) if (!outcomes.get(id)?.ok) throw new Error(`job ${id} not placed`)
          const problem = await sameAsStore(store, engine, calendarId)
          if (problem) throw new Error(problem)
        }
        for (const step of [
          ...steps,
          { kind: 'create', count: 1, minutes: 15, attendee: false, fixedAtHour: null } as Step,
        ]) {
          if (step.kind === 'create') {
            const ids: string[] = []
            for (let i = 0; i < step.count; i++) {
              const fixed = step.fixedAtHour !== null && i === 0
              const { job, event } = await submitCreate(store, calendarId, {
                durationMinutes: step.minutes,
                attendees: step.attendee ? [{ email: 'a@example.com', required: true }] : [],
                ...(fixed
                  ? { placement: 'fixed', requestedStart: base + (step.fixedAtHour as number) * HOUR }
                  : {}),
              })
              ids.push(job.id)
              eventIds.push(event.id)
            }
            await place(ids)
          } else if (step.kind === 'cancel' || step.kind === 'delete') {
            if (eventIds.length === 0) continue
            const eventId = eventIds[step.target % eventIds.length] as string
            const job = await submitJob(store, calendarId, eventId, { type: step.kind })
            await place([job.id])
          } else if (step.kind === 'resize' || step.kind === 'move') {
            // Updates move their event (and a fixed one displaces): the calendar reads the displaced
            // events' records from the store, and must still equal it.
            if (eventIds.length === 0) continue
            const eventId = eventIds[step.target % eventIds.length] as string
            const changes =
              step.kind === 'resize'
                ? { durationMinutes: step.minutes }
                : { when: { placement: 'fixed' as const, start: base + step.fixedAtHour * HOUR } }
            const job = await submitJob(store, calendarId, eventId, {
              type: 'update',
              changes,
              expectedVersion: null,
            })
            await place([job.id])
          } else if (step.kind === 'busy') {
            const start = base + step.fromHour * HOUR
            await store.putBusy(calendarId, 'A@example.com', [{ start, end: start + step.hours * HOUR }])
          } else if (step.kind === 'settings') {
            await store.putCalendar(settingsFor(calendarId, step.bufferMinutes))
          } else {
            // Another writer places an event directly (as a second worker would), when the time is free.
            const { job, event } = await submitCreate(store, calendarId)
            const start = base + (step as { atHour: number }).atHour * HOUR
            const placed = {
              ...event,
              status: 'scheduled' as const,
              start,
              end: start + HOUR,
              version: 2,
              sequence: 1,
            }
            await store
              .applyPlan({
                calendarId,
                jobId: job.id,
                upserts: [placed],
                deletions: [],
                messages: [],
                job: { state: 'completed', outcome: { displaced: [] }, error: null, finishedAt: Date.now() },
              })
              .catch(() => undefined)
          }
        }
        return true
      }),
      { numRuns: 12 },
    )
    t.pass('equal after every batch')
  },
)

t.test('a moved revision makes the engine reload before it commits: busy times are honoured', async (t) => {
  const store = await openStore(await freshPostgres(t))
  t.teardown(() => store.close())
  const engine = createPlacementEngine({ store, clock: () => Date.now() })
  const calendarId = uniqueId('cal')
  await store.ensureCalendar(settingsFor(calendarId))
  const first = await submitCreate(store, calendarId, { attendees: [] })
  await engine.place(calendarId, [first.job.id])
  const loaded = engine.loaded(calendarId)
  t.ok(loaded, 'the calendar is in memory')

  // The attendee becomes busy for the next day: written by the API, not the worker.
  const now = Date.now()
  await store.putBusy(calendarId, 'a@example.com', [{ start: now, end: now + DAY }])
  const second = await submitCreate(store, calendarId)
  const outcomes = await engine.place(calendarId, [second.job.id])
  t.strictSame(outcomes.get(second.job.id), { ok: true })
  const placed = await store.getEvent(calendarId, second.event.id)
  t.equal(placed?.status, 'scheduled')
  t.ok((placed?.start ?? 0) >= now + DAY, 'placed after the busy day')
  t.not(engine.loaded(calendarId), loaded, 'reloaded')
})

t.test(
  'a batch commits in one transaction, in arrival order; a job that cannot be applied fails alone',
  async (t) => {
    const url = await freshPostgres(t)
    const store = await openStore(url)
    t.teardown(() => store.close())
    const engine = createPlacementEngine({ store, clock: () => Date.now() })
    const calendarId = uniqueId('cal')
    await store.ensureCalendar(settingsFor(calendarId))
    const jobs = []
    for (let i = 0; i < 5; i++)
      jobs.push(await submitCreate(store, calendarId, { attendees: [], durationMinutes: 30 }))

    // The database refuses one of the events (a trigger standing in for any error the plan cannot survive).
    const doomed = jobs[2]?.event.id as string
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`CREATE FUNCTION refuse_doomed() RETURNS trigger AS $$
    BEGIN IF NEW.id = '${doomed}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`)
    await client.query(
      'CREATE TRIGGER refuse_doomed BEFORE INSERT OR UPDATE ON events FOR EACH ROW EXECUTE FUNCTION refuse_doomed()',
    )
    await client.end()

    const outcomes = await engine.place(
      calendarId,
      jobs.map(({ job }) => job.id),
    )
    for (const [i, { job }] of jobs.entries()) {
      t.equal(outcomes.get(job.id)?.ok, i !== 2, `job ${i} ${i === 2 ? 'fails alone' : 'is applied'}`)
    }
    const starts = []
    for (const { event } of jobs) starts.push((await store.getEvent(calendarId, event.id))?.start ?? null)
    t.equal(starts[2], null, 'the refused event is not placed')
    const placed = starts.filter((s): s is number => s !== null)
    t.strictSame(
      placed,
      [...placed].sort((a, b) => a - b),
      'placed in arrival order',
    )
    t.equal(new Set(placed).size, 4)
    t.equal(await sameAsStore(store, engine, calendarId), null, 'the calendar matches the store')

    // Redelivered jobs change nothing.
    const before = await store.loadCalendar(calendarId, 0)
    const again = await engine.place(calendarId, [jobs[0]?.job.id as string, jobs[1]?.job.id as string])
    t.ok(again.get(jobs[0]?.job.id as string)?.ok)
    t.strictSame(await store.loadCalendar(calendarId, 0), before, 'nothing written')
  },
)

t.test('a fixed event displaces events the calendar keeps no records of: read from the store', async (t) => {
  const store = await openStore(await freshPostgres(t))
  t.teardown(() => store.close())
  let loads = 0
  const counting = {
    ...store,
    loadJobs: (calendarId: string, jobIds: string[], eventIds?: string[]) => {
      if (jobIds.length === 0) loads++
      return store.loadJobs(calendarId, jobIds, eventIds)
    },
  }
  const engine = createPlacementEngine({ store: counting, clock: () => Date.now() })
  const calendarId = uniqueId('cal')
  await store.ensureCalendar(settingsFor(calendarId))
  const autos = []
  for (let i = 0; i < 3; i++) autos.push(await submitCreate(store, calendarId, { durationMinutes: 30 }))
  await engine.place(
    calendarId,
    autos.map(({ job }) => job.id),
  )
  const first = await store.getEvent(calendarId, autos[0]?.event.id as string)
  const fixed = await submitCreate(store, calendarId, {
    placement: 'fixed',
    requestedStart: first?.start as number,
    durationMinutes: 60,
  })
  const outcomes = await engine.place(calendarId, [fixed.job.id])
  t.strictSame(outcomes.get(fixed.job.id), { ok: true })
  const job = await store.getJob(calendarId, fixed.job.id)
  t.equal(job?.outcome?.displaced.length, 2, 'two auto events moved')
  t.equal(loads, 1, 'their records read in one query')
  for (const { event } of autos.slice(0, 2)) {
    const moved = await store.getEvent(calendarId, event.id)
    t.equal(moved?.title, event.title, 'the moved record is the stored one')
    t.ok((moved?.start as number) >= (first?.start as number) + HOUR, 'after the fixed event')
  }
  t.equal(await sameAsStore(store, engine, calendarId), null, 'the calendar matches the store')
})
