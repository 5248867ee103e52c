import { isDeepStrictEqual } from 'node:util'
import type { EventRecord, EventStatus, Instant } from '@scheduler/core'
import {
  aJob,
  anEvent,
  aPlan,
  aScheduledEvent,
  DAY,
  HOUR,
  T0,
  uniqueId,
} from '@scheduler/test-helpers/builders'
import fc from 'fast-check'
import type { Test } from 'tap'
import {
  type EventChange,
  type EventListQuery,
  InvalidCursorError,
  type Store,
  SyncTokenExpiredError,
} from '../src/port.js'
import { rejectsWith } from './conformance-support.js'

type Scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) => unknown

const CAL = 'default'
const OTHER = 'other'
/** The clock of every listing here: every scheduled event is still ahead. */
const NOW = T0 - 2 * DAY

/** Sync tokens, tombstones and listings that never skip (issue 10), for every adapter. */
export function syncScenarios(scenario: Scenario): void {
  scenario(
    'paging by start never skips an event moved behind the cursor (both directions)',
    async (t, store) => {
      // The case: six events on six days, two per page, one moved from the last day to the first.
      for (const direction of ['backwards', 'forwards'] as const) {
        const calendarId = uniqueId('cal')
        const events = Array.from({ length: 6 }, (_, i) =>
          aScheduledEvent(T0 + i * DAY, 60, { calendarId, updatedAt: T0 - DAY + i }),
        )
        await seedIn(store, events)
        const query: EventListQuery = {
          order: 'start',
          limit: 2,
          now: NOW,
          from: T0 - DAY,
          to: T0 + 9 * DAY,
          statuses: ['scheduled'],
        }
        const seen: string[] = []
        let page = await store.listEvents(calendarId, query)
        seen.push(...ids(page.items))
        page = await store.listEvents(calendarId, { ...query, cursor: page.nextCursor ?? '' })
        seen.push(...ids(page.items))
        const moved = direction === 'backwards' ? events[5]! : events[0]!
        const to = direction === 'backwards' ? T0 - 2 * HOUR : T0 + 7 * DAY
        await writeIn(store, calendarId, [{ ...moved, start: to, end: to + HOUR, version: 2, updatedAt: T0 }])
        while (page.nextCursor !== null) {
          page = await store.listEvents(calendarId, { ...query, cursor: page.nextCursor })
          t.ok(page.items.length <= 2, 'a page holds at most limit items')
          seen.push(...ids(page.items))
        }
        t.strictSame(new Set(seen), new Set(ids(events)), `${direction}: every event seen`)
        t.ok(seen.length <= 7, `${direction}: only the moved event may show twice`)
        const movedLast = page.items.find((e) => e.id === moved.id)
        if (direction === 'backwards') t.equal(movedLast?.start, to, 'the moved event comes in its new state')
        t.type(page.syncToken, 'string', 'the last page carries a sync token')
      }
    },
  )

  scenario('paging by update never skips an event changed meanwhile', async (t, store) => {
    const events = Array.from({ length: 5 }, (_, i) => anEvent({ updatedAt: T0 - DAY + i }))
    await seedIn(store, events)
    const query: EventListQuery = { order: 'updated', limit: 2, now: NOW }
    const first = await store.listEvents(CAL, query)
    t.equal(first.syncToken, null, 'no token before the last page')
    // The event not yet seen gets an older stamp (a writer with a slow clock): it moves behind the cursor.
    const late = events[4]!
    await writeIn(store, CAL, [{ ...late, title: 'Renamed', version: 2, updatedAt: T0 - 2 * DAY }])
    const seen = [...ids(first.items)]
    let cursor = first.nextCursor
    let last = first
    while (cursor !== null) {
      last = await store.listEvents(CAL, { ...query, cursor })
      seen.push(...ids(last.items))
      cursor = last.nextCursor
    }
    t.strictSame(new Set(seen), new Set(ids(events)), 'every event seen')
    t.equal(seen.filter((id) => id === late.id).length, 1, 'the changed one once (it was not seen before)')
    t.type(last.syncToken, 'string')
  })

  scenario('an unchanged listing visits each event once and ends with a token', async (t, store) => {
    const events = Array.from({ length: 7 }, (_, i) => aScheduledEvent(T0 + i * HOUR, 30))
    await seedIn(store, events)
    for (const order of ['start', 'updated'] as const) {
      const pages = await listAll(store, CAL, { order, limit: 3, now: NOW })
      t.equal(pages.length, 3, `${order}: ceil(7 / 3) pages`)
      t.strictSame(pages.flatMap((p) => ids(p.items)).sort(), ids(events).sort(), `${order}: each once`)
      t.ok(
        pages.slice(0, -1).every((p) => p.syncToken === null),
        `${order}: only the last page has a token`,
      )
      t.type(pages.at(-1)?.syncToken, 'string')
    }
  })

  scenario(
    'a sync answers every change since the token, each once, deletions as tombstones',
    async (t, store) => {
      const [kept, changed, deleted, cancelled] = [anEvent(), anEvent(), anEvent(), aScheduledEvent(T0, 60)]
      await seedIn(store, [kept!, changed!, deleted!, cancelled!])
      const pages = await listAll(store, CAL, { order: 'start', limit: 50, now: NOW })
      const token = pages.at(-1)?.syncToken ?? ''

      const empty = await store.syncEvents(CAL, { syncToken: token, limit: 50 })
      t.strictSame(empty.items, [], 'nothing changed yet')
      t.equal(empty.nextCursor, null)
      t.type(empty.syncToken, 'string')

      const created = anEvent()
      await seedIn(store, [created])
      await writeIn(store, CAL, [{ ...changed!, title: 'First', version: 2 }])
      await writeIn(store, CAL, [{ ...changed!, title: 'Second', version: 3 }])
      await writeIn(store, CAL, [{ ...cancelled!, status: 'cancelled', version: 2 }])
      await writeIn(store, CAL, [], [deleted!.id])
      await seedIn(store, [anEvent({ calendarId: OTHER })])

      const sync = await store.syncEvents(CAL, { syncToken: token, limit: 50 })
      t.equal(sync.nextCursor, null)
      const byId = new Map(sync.items.map((item) => [idOf(item), item]))
      t.equal(sync.items.length, 4, 'each changed event once')
      t.notOk(byId.has(kept!.id), 'an unchanged event is not answered')
      t.match(
        byId.get(changed!.id),
        { kind: 'event', event: { title: 'Second', version: 3 } },
        'latest state',
      )
      t.match(byId.get(cancelled!.id), { kind: 'event', event: { status: 'cancelled' } })
      t.match(byId.get(created.id), { kind: 'event', event: { id: created.id } })
      const tombstone = byId.get(deleted!.id)
      t.match(tombstone, { kind: 'deleted', id: deleted!.id }, 'a deletion is a tombstone')
      t.ok(tombstone?.kind === 'deleted' && Number.isSafeInteger(tombstone.deletedAt), 'with its time')

      const next = await store.syncEvents(CAL, { syncToken: sync.syncToken ?? '', limit: 50 })
      t.strictSame(next.items, [], 'the next token answers nothing new')
      t.strictSame(
        (await store.syncEvents(CAL, { syncToken: token, limit: 50 })).items.length,
        4,
        'a token can be used again',
      )
    },
  )

  scenario(
    'a sync pages by cursor: each change once; the last page carries the next token',
    async (t, store) => {
      const start = await listAll(store, CAL, { order: 'start', limit: 10, now: NOW })
      const token = start.at(-1)?.syncToken ?? ''
      const events = Array.from({ length: 8 }, () => anEvent())
      await seedIn(store, events)
      await writeIn(store, CAL, [], [events[3]!.id])

      const first = await store.syncEvents(CAL, { syncToken: token, limit: 3 })
      t.equal(first.items.length, 3)
      t.equal(first.syncToken, null, 'no token before the last page')
      // Written after the sync began: not in this sync, in the next one.
      const during = anEvent()
      await seedIn(store, [during])
      const seen = ids(first.items.map(asRef))
      let cursor = first.nextCursor
      let last = first
      while (cursor !== null) {
        last = await store.syncEvents(CAL, { syncToken: token, limit: 3, cursor })
        seen.push(...ids(last.items.map(asRef)))
        cursor = last.nextCursor
      }
      t.strictSame(seen, ids(events).sort(), 'every change once, by id')
      const next = await store.syncEvents(CAL, { syncToken: last.syncToken ?? '', limit: 50 })
      t.strictSame(ids(next.items.map(asRef)), [during.id], 'the change made meanwhile comes next')

      await rejectsWith(
        t,
        store.syncEvents(CAL, { syncToken: last.syncToken ?? '', limit: 3, cursor: first.nextCursor ?? '' }),
        InvalidCursorError,
        'a cursor of another token is refused',
      )
      await rejectsWith(
        t,
        store.syncEvents(CAL, { syncToken: token, limit: 3, cursor: 'garbage' }),
        InvalidCursorError,
      )
    },
  )

  scenario('malformed, foreign and purged sync tokens are expired', async (t, store) => {
    await seedIn(store, [anEvent()])
    const token = (await listAll(store, CAL, { order: 'start', limit: 10, now: NOW })).at(-1)?.syncToken ?? ''
    const otherToken = (await listAll(store, OTHER, { order: 'start', limit: 10, now: NOW })).at(
      -1,
    )?.syncToken
    const forged = (p: unknown) => Buffer.from(JSON.stringify(p)).toString('base64url')
    const wire = JSON.parse(Buffer.from(token, 'base64url').toString()) as Record<string, unknown>
    for (const bad of [
      'garbage',
      '',
      forged([1]),
      forged({ ...wire, v: 2 }),
      forged({ ...wire, p: 'not a position' }),
      forged({ ...wire, p: '99999999999:99999999999:' }),
      forged({ ...wire, e: 'another-database' }),
      otherToken ?? '',
    ]) {
      await rejectsWith(t, store.syncEvents(CAL, { syncToken: bad, limit: 10 }), SyncTokenExpiredError, bad)
    }
    t.ok((await store.syncEvents(CAL, { syncToken: token, limit: 10 })).syncToken, 'the real one works')

    // Changes made now, then every change before a point in the future purged: the token is too old.
    await writeIn(store, CAL, [anEvent()])
    await store.purgeEventChanges(Date.now() + DAY)
    await rejectsWith(t, store.syncEvents(CAL, { syncToken: token, limit: 10 }), SyncTokenExpiredError)
    const fresh = (await listAll(store, CAL, { order: 'start', limit: 10, now: NOW })).at(-1)?.syncToken
    t.strictSame(
      (await store.syncEvents(CAL, { syncToken: fresh ?? '', limit: 10 })).items,
      [],
      'a new one works',
    )
  })

  scenario('purgeEventChanges keeps recent changes and tombstones', async (t, store) => {
    const token = (await listAll(store, CAL, { order: 'start', limit: 10, now: NOW })).at(-1)?.syncToken ?? ''
    const gone = anEvent()
    await seedIn(store, [gone])
    await writeIn(store, CAL, [], [gone.id])
    await store.purgeEventChanges(Date.now() - DAY)
    const sync = await store.syncEvents(CAL, { syncToken: token, limit: 10 })
    t.match(sync.items, [{ kind: 'deleted', id: gone.id }], 'the tombstone of a recent deletion is kept')
  })

  scenario(
    'property: a listing never skips an event that matched throughout; sync copies exactly',
    async (t, store) => {
      await fc.assert(
        fc.asyncProperty(scenarioArbitrary, async (plan) => {
          const calendarId = uniqueId('cal')
          const model = new Model(calendarId)
          await seedIn(
            store,
            plan.initial.map((e) => model.create(e)),
          )
          // 1. A filtered listing with random writes between its pages.
          const query: EventListQuery = { ...plan.filter, order: plan.order, limit: plan.limit, now: NOW }
          const matches = (e: EventRecord) => matchesQuery(e, query)
          const throughout = new Set(
            model
              .all()
              .filter(matches)
              .map((e) => e.id),
          )
          const untouched = new Set(model.all().map((e) => e.id))
          const seen: string[] = []
          let cursor: string | undefined
          let step = 0
          for (let pages = 0; pages < 200; pages++) {
            const page = await store.listEvents(calendarId, { ...query, ...(cursor ? { cursor } : {}) })
            seen.push(...ids(page.items))
            if (page.nextCursor === null) break
            cursor = page.nextCursor
            for (const op of plan.ops[step++ % plan.ops.length] ?? []) {
              const touched = await model.apply(store, op)
              for (const id of touched) untouched.delete(id)
              for (const id of throughout) {
                const now = model.get(id)
                if (now === undefined || !matches(now)) throughout.delete(id)
              }
            }
          }
          for (const id of throughout) {
            if (!seen.includes(id)) throw new Error(`skipped ${id}, which matched throughout`)
          }
          for (const id of new Set(seen)) {
            if (seen.filter((s) => s === id).length > 2) throw new Error(`${id} was seen more than twice`)
          }
          for (const id of untouched) {
            if (throughout.has(id) && seen.filter((s) => s === id).length !== 1) {
              throw new Error(`an unchanged event ${id} was not seen exactly once`)
            }
          }
          // 2. A copy: a full listing, then syncs, with writes in between; at the end it equals the store.
          const copy = new Map<string, EventRecord>()
          let token: string | null = null
          cursor = undefined
          // Writes after at most 40 pages: with limit 1 and three creates after every page, each sync would
          // otherwise take three times the pages of the one before and never end within its 200.
          let writesLeft = 40
          const writeBetweenPages = async () => {
            if (writesLeft-- <= 0) return
            for (const op of plan.ops[step++ % plan.ops.length] ?? []) await model.apply(store, op)
          }
          for (let pages = 0; pages < 200 && token === null; pages++) {
            const page = await store.listEvents(calendarId, {
              order: 'start',
              limit: plan.limit,
              now: NOW,
              ...(cursor ? { cursor } : {}),
            })
            for (const event of page.items) copy.set(event.id, event)
            cursor = page.nextCursor ?? undefined
            token = page.syncToken
            await writeBetweenPages()
          }
          for (let round = 0; round < 3; round++) {
            token = await syncInto(store, calendarId, token ?? '', plan.limit, copy, async () => {
              if (round < 2) await writeBetweenPages()
            })
          }
          const expected = model.all().sort(compareById)
          const actual = [...copy.values()].sort(compareById)
          if (!isDeepStrictEqual(actual, expected)) {
            throw new Error(`the copy differs:\n${JSON.stringify(actual)}\n${JSON.stringify(expected)}`)
          }
        }),
        { numRuns: 25 },
      )
      t.pass('no event that matched throughout was skipped; every copy was exact')
    },
  )
}

// --- the property's model and arbitraries

type Op =
  | { kind: 'create'; slot: number | null }
  | { kind: 'move'; target: number; slot: number }
  | { kind: 'cancel'; target: number }
  | { kind: 'delete'; target: number }
  | { kind: 'touch'; target: number; older: boolean }

const SLOTS = 60

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), slot: fc.option(fc.nat(SLOTS - 1), { nil: null }) }),
  fc.record({ kind: fc.constant('move' as const), target: fc.nat(), slot: fc.nat(SLOTS - 1) }),
  fc.record({ kind: fc.constant('cancel' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('touch' as const), target: fc.nat(), older: fc.boolean() }),
)

const scenarioArbitrary = fc.record({
  initial: fc.array(fc.option(fc.nat(SLOTS - 1), { nil: null, freq: 4 }), { minLength: 3, maxLength: 14 }),
  order: fc.constantFrom('start' as const, 'updated' as const),
  limit: fc.integer({ min: 1, max: 4 }),
  filter: fc.constantFrom<Partial<EventListQuery>>(
    {},
    { statuses: ['scheduled'] },
    { from: T0 + 10 * HOUR, to: T0 + 40 * HOUR },
    { statuses: ['cancelled', 'pending'] },
  ),
  ops: fc.array(fc.array(opArbitrary, { maxLength: 3 }), { minLength: 1, maxLength: 6 }),
})

/** What the store should hold: the events of one calendar, changed the way the worker changes them. */
class Model {
  private readonly events = new Map<string, EventRecord>()
  private clock = T0 - DAY

  constructor(private readonly calendarId: string) {}

  all(): EventRecord[] {
    return [...this.events.values()]
  }

  get(id: string): EventRecord | undefined {
    return this.events.get(id)
  }

  create(slot: number | null): EventRecord {
    const at = this.tick()
    const event =
      slot === null || this.taken(slot)
        ? anEvent({ calendarId: this.calendarId, createdAt: at, updatedAt: at })
        : aScheduledEvent(T0 + slot * HOUR, 60, { calendarId: this.calendarId, createdAt: at, updatedAt: at })
    this.events.set(event.id, event)
    return event
  }

  /** Applies `op` to the store and the model; answers the ids it changed. */
  async apply(store: Store, op: Op): Promise<string[]> {
    if (op.kind === 'create') {
      const event = this.create(op.slot)
      await seedIn(store, [event])
      return [event.id]
    }
    const all = this.all()
    const target = all[op.target % Math.max(1, all.length)]
    if (target === undefined) return []
    if (op.kind === 'delete') {
      this.events.delete(target.id)
      await writeIn(store, this.calendarId, [], [target.id])
      return [target.id]
    }
    let next: EventRecord
    const at = this.tick()
    if (op.kind === 'move') {
      if (this.taken(op.slot)) return []
      const start = T0 + op.slot * HOUR
      next = { ...target, status: 'scheduled', start, end: start + HOUR }
    } else if (op.kind === 'cancel') {
      next = { ...target, status: 'cancelled' }
    } else {
      next = { ...target, title: `${target.title}.` }
    }
    // A writer with a slow clock stamps an older update time: the updated order moves it back.
    next = {
      ...next,
      version: target.version + 1,
      updatedAt: op.kind === 'touch' && op.older ? T0 - 3 * DAY : at,
    }
    this.events.set(next.id, next)
    await writeIn(store, this.calendarId, [next])
    return [next.id]
  }

  private taken(slot: number): boolean {
    const start = T0 + slot * HOUR
    return this.all().some((e) => e.status === 'scheduled' && e.start === start)
  }

  private tick(): Instant {
    this.clock += 1000
    return this.clock
  }
}

async function syncInto(
  store: Store,
  calendarId: string,
  syncToken: string,
  limit: number,
  copy: Map<string, EventRecord>,
  betweenPages: () => Promise<void>,
): Promise<string> {
  let cursor: string | undefined
  for (let pages = 0; pages < 200; pages++) {
    const page = await store.syncEvents(calendarId, { syncToken, limit, ...(cursor ? { cursor } : {}) })
    for (const item of page.items) {
      if (item.kind === 'deleted') copy.delete(item.id)
      else copy.set(item.event.id, item.event)
    }
    if (page.syncToken !== null) return page.syncToken
    cursor = page.nextCursor ?? undefined
    await betweenPages()
  }
  throw new Error('the sync did not end')
}

function matchesQuery(e: EventRecord, query: EventListQuery): boolean {
  if (query.from !== undefined || query.to !== undefined) {
    if (e.start === null || e.end === null) return false
    if (query.to !== undefined && !(e.start < query.to)) return false
    if (query.from !== undefined && !(e.end > query.from)) return false
  }
  if (query.statuses !== undefined && !query.statuses.includes(clientStatus(e, query.now))) return false
  return true
}

function clientStatus(event: EventRecord, now: Instant): EventStatus {
  if (event.status === 'scheduled' && event.start !== null && event.end !== null) {
    if (event.end <= now) return 'completed'
    if (event.start <= now) return 'in_progress'
  }
  return event.status
}

// --- helpers

/** Creates `events` the way the API does (one submission each). */
async function seedIn(store: Store, events: EventRecord[]): Promise<void> {
  for (const event of events) {
    await store.submit({
      calendarId: event.calendarId,
      event,
      job: aJob({ calendarId: event.calendarId, eventId: event.id }),
    })
  }
}

/** Writes `upserts` and `deletions` the way the worker does (one plan). */
async function writeIn(
  store: Store,
  calendarId: string,
  upserts: EventRecord[],
  deletions: string[] = [],
): Promise<void> {
  const job = aJob({ calendarId, eventId: upserts[0]?.id ?? deletions[0] ?? uniqueId('evt') })
  await store.submit({ calendarId, job })
  await store.applyPlan(aPlan(job, { upserts, deletions }))
}

async function listAll(store: Store, calendarId: string, query: EventListQuery) {
  const pages = []
  let cursor: string | undefined
  do {
    const page = await store.listEvents(calendarId, { ...query, ...(cursor ? { cursor } : {}) })
    pages.push(page)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined && pages.length < 1000)
  return pages
}

function idOf(item: EventChange): string {
  return item.kind === 'event' ? item.event.id : item.id
}

function asRef(item: EventChange): { id: string } {
  return { id: idOf(item) }
}

function ids(records: { id: string }[]): string[] {
  return records.map((r) => r.id)
}

function compareById(a: EventRecord, b: EventRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
