import { CALENDAR_ID_DEFAULT } from '@scheduler/core'
import { openStore, SyncTokenExpiredError } from '@scheduler/store'
import { aJob, anEvent, anIdempotencyWrite, aPlan } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import t from 'tap'
import { CHANGE_HISTORY_MS, createHousekeeping, RETENTION_MS } from '../src/housekeeping.js'

const DAY = 86_400_000

t.test('housekeeping removes finished jobs and keys past the retention, keeps the rest', async (t) => {
  const store = await openStore(await freshPostgres(t))
  t.teardown(() => store.close())
  const now = Date.now()
  const old = now - RETENTION_MS - DAY
  const oldKey = anIdempotencyWrite({ createdAt: old })
  const oldJob = aJob({ createdAt: old })
  const recentJob = aJob({ createdAt: now - DAY })
  await store.submit({ calendarId: CALENDAR_ID_DEFAULT, job: oldJob, idempotency: oldKey })
  await store.submit({ calendarId: CALENDAR_ID_DEFAULT, job: recentJob })
  const finished = (at: number) => ({
    state: 'completed' as const,
    outcome: { displaced: [] },
    error: null,
    finishedAt: at,
  })
  await store.applyPlan(aPlan(oldJob, { job: finished(old) }))
  await store.applyPlan(aPlan(recentJob, { job: finished(now - DAY) }))

  const errors: unknown[] = []
  const housekeeping = createHousekeeping({ store, clock: () => now, onError: (error) => errors.push(error) })
  housekeeping.start()
  await housekeeping.stop()

  t.same(errors, [])
  t.equal(await store.getJob(CALENDAR_ID_DEFAULT, oldJob.id), null, 'a job finished over a week ago is gone')
  t.ok(await store.getJob(CALENDAR_ID_DEFAULT, recentJob.id), 'a job finished yesterday is kept (≥ 24 h)')
  t.equal(await store.findIdempotency(CALENDAR_ID_DEFAULT, oldKey.key, old + 1), null, 'the old key is gone')
})

t.test(
  'housekeeping keeps the change history 30 days, then sync tokens before it answer expired',
  async (t) => {
    const store = await openStore(await freshPostgres(t))
    t.teardown(() => store.close())
    const listing = await store.listEvents(CALENDAR_ID_DEFAULT, { order: 'start', limit: 5, now: Date.now() })
    const token = listing.syncToken ?? ''
    const event = anEvent()
    await store.submit({ calendarId: CALENDAR_ID_DEFAULT, event, job: aJob({ eventId: event.id }) })

    const run = async (now: number) => {
      const errors: unknown[] = []
      const housekeeping = createHousekeeping({ store, clock: () => now, onError: (e) => errors.push(e) })
      housekeeping.start()
      await housekeeping.stop()
      t.same(errors, [])
    }
    await run(Date.now() + CHANGE_HISTORY_MS - DAY)
    const sync = await store.syncEvents(CALENDAR_ID_DEFAULT, { syncToken: token, limit: 5 })
    t.strictSame(
      sync.items.map((item) => (item.kind === 'event' ? item.event.id : item.id)),
      [event.id],
      'a change 29 days old is still answered',
    )
    await run(Date.now() + CHANGE_HISTORY_MS + DAY)
    await t.rejects(
      store.syncEvents(CALENDAR_ID_DEFAULT, { syncToken: token, limit: 5 }),
      SyncTokenExpiredError,
      'after 30 days the token is expired',
    )
  },
)
