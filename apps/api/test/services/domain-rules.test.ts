import type { CalendarSettings, Interval } from '@scheduler/core'
import type { IdempotencyWrite } from '@scheduler/store'
import t from 'tap'
import {
  IdempotencyKeyReusedError,
  InvalidInputError,
  MalformedInputError,
  NotFoundError,
  PreconditionFailedError,
} from '../../src/services/domain-errors.js'
import type { CreateInput } from '../../src/services/event-rules.js'
import { type IdempotencyContext, makeIdempotentWrites } from '../../src/services/idempotency-service.js'
import { aScheduledEvent, build, seedEvent } from '../helper.js'

const HOUR = 3_600_000

// The services' rules as domain errors (not HTTP answers), on the app's real store and Redis.
t.test('the services refuse with domain errors and write nothing', async (t) => {
  const app = await build(t)
  const { services } = app

  t.test('calendar settings that do not fit together: one issue per problem, at JSON pointers', async (t) => {
    const before = await services.calendar.get()
    const broken: CalendarSettings = { ...before, timezone: 'Mars/Olympus_Mons', slotMinutes: 0 }
    const error = await services.calendar.replace(broken, null).catch((e: unknown) => e)
    t.type(error, InvalidInputError)
    t.match((error as InvalidInputError).issues, [{ field: '/timezone' }, { field: '/slotMinutes' }])
    t.same(await services.calendar.get(), before, 'nothing written')
  })

  t.test('a busy time that ends before it starts names each one; accepted ones are sorted', async (t) => {
    const now = Date.now()
    const error = await services.attendees
      .replaceBusy(
        'Ann@Example.com',
        [
          { start: now + 2 * HOUR, end: now + 3 * HOUR },
          { start: now + HOUR, end: now + HOUR },
        ],
        null,
      )
      .catch((e: unknown) => e)
    t.type(error, InvalidInputError)
    t.same((error as InvalidInputError).issues, [{ field: '/busy/1/end', message: 'must be after start' }])
    t.same((await services.attendees.busy('ann@example.com')).busy, [], 'nothing written')

    const outcome = await services.attendees.replaceBusy(
      'Ann@Example.com',
      [
        { start: now + 2 * HOUR, end: now + 3 * HOUR },
        { start: now, end: now + HOUR },
      ],
      null,
    )
    t.same(outcome, {
      replayed: false,
      value: {
        email: 'ann@example.com',
        busy: [
          { start: now, end: now + HOUR },
          { start: now + 2 * HOUR, end: now + 3 * HOUR },
        ],
      },
    })
  })

  t.test('a webhook URL outside the address policy is malformed input at /url', async (t) => {
    const error = await services.webhooks
      .create({ url: 'https://127.0.0.1/hook', description: null }, null)
      .catch((e: unknown) => e)
    t.type(error, MalformedInputError)
    t.match((error as MalformedInputError).issues, [{ field: '/url' }])
    t.same(await services.webhooks.list(), [])
  })

  t.test(
    'intake: unknown events, stale versions, starts in the past, statuses that cannot be set',
    async (t) => {
      const input: CreateInput = {
        title: 'Review',
        description: null,
        location: null,
        attendees: [],
        durationMinutes: 30,
        when: { placement: 'fixed', start: Date.now() - HOUR },
      }
      const past = await services.intake.create(input, null).catch((e: unknown) => e)
      t.type(past, InvalidInputError)
      t.same((past as InvalidInputError).issues, [{ field: '/start', message: 'is in the past' }])

      await t.rejects(
        services.intake.change('evt_unknown', { type: 'delete', ifMatch: null }, null),
        NotFoundError,
      )
      const event = await seedEvent(app, aScheduledEvent(Date.now() + 24 * HOUR))
      await t.rejects(
        services.intake.change(event.id, { type: 'cancel', ifMatch: event.version + 1 }, null),
        PreconditionFailedError,
      )
      const status = await services.intake
        .change(
          event.id,
          { type: 'update', patch: { changes: {}, status: 'scheduled' }, ifMatch: null },
          null,
        )
        .catch((e: unknown) => e)
      t.type(status, InvalidInputError)
      t.match((status as InvalidInputError).issues, [{ field: '/status' }])
    },
  )

  t.test('unknown webhooks, attachments, feed tokens are not found', async (t) => {
    await t.rejects(services.webhooks.get('whk_unknown'), NotFoundError)
    await t.rejects(services.webhooks.remove('whk_unknown', null), NotFoundError)
    await t.rejects(services.attachments.list('evt_unknown'), NotFoundError)
    await t.rejects(services.attachments.remove('evt_unknown', 'att_unknown', null), NotFoundError)
    await t.rejects(services.feedTokens.revoke('ftk_unknown', null), NotFoundError)
    await t.rejects(services.feedTokens.feed(`ics_${'a'.repeat(43)}`), NotFoundError)
    await t.rejects(services.events.job('job_unknown'), NotFoundError)
  })
})

t.test(
  'the idempotency protocol: record with the write, replay, refuse another request, win a race once',
  async (t) => {
    const app = await build(t)
    const writes = makeIdempotentWrites({ store: app.store })
    const context = (key: string, requestHash: string): IdempotencyContext => ({
      calendarId: 'default',
      key,
      requestHash,
    })
    const request = (key: string, requestHash = 'hash-a') => ({
      context: context(key, requestHash),
      answerOf: (busy: unknown) => ({ status: 200, body: { recorded: busy } }),
    })
    let writesRun = 0
    const busy = [{ start: Date.now() + HOUR, end: Date.now() + 2 * HOUR }]
    const write = (email: string) => async (record: (result: Interval[]) => IdempotencyWrite | undefined) => {
      writesRun += 1
      return app.store.putBusy('default', email, busy, record(busy))
    }

    const first = await writes.run(request('k1'), Date.now(), write('a@example.com'))
    t.same(first, { replayed: false, value: busy })
    const again = await writes.run(request('k1'), Date.now(), write('a@example.com'))
    t.same(again, { replayed: true, answer: { status: 200, body: { recorded: busy } } })
    t.equal(writesRun, 1, 'a replay does not write')
    await t.rejects(
      writes.run(request('k1', 'hash-b'), Date.now(), write('a@example.com')),
      IdempotencyKeyReusedError,
    )

    // Two requests with one key at once: both look up before either writes; the store lets one win
    const raced = await Promise.all([
      writes.run(request('k2'), Date.now(), write('b@example.com')),
      writes.run(request('k2'), Date.now(), write('b@example.com')),
    ])
    t.same(raced.map((outcome) => outcome.replayed).sort(), [false, true])

    const keyless = await writes.run(null, Date.now(), async (record) => {
      t.equal(record(busy), undefined, 'nothing to record without a key')
      return { kind: 'done', value: 'written' }
    })
    t.same(keyless, { replayed: false, value: 'written' })
  },
)
