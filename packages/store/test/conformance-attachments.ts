import {
  aJob,
  anAttachment,
  anEvent,
  anIdempotencyWrite,
  aPlan,
  MINUTE,
  T0,
} from '@scheduler/test-helpers/builders'
import { EventNotFoundError } from '../src/port.js'
import { CAL, OTHER, rejectsWith, type Scenario, seed } from './conformance-support.js'

/** The attachments aggregate's behaviour, run by `conformanceSuite` for every adapter. */
export function attachmentScenarios(scenario: Scenario): void {
  scenario('attachments: put, list oldest first, get the bytes back, delete', async (t, store) => {
    const event = anEvent()
    const sibling = anEvent()
    const elsewhere = anEvent({ calendarId: OTHER, id: event.id })
    await seed(store, [event, sibling, elsewhere])

    // Every byte value, and more than one GridFS chunk (255 KiB).
    const binary = Buffer.alloc(600 * 1024)
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7 + (i >> 8)) % 256
    const newer = anAttachment(event, binary, {
      createdAt: T0 + MINUTE,
      filename: 'Résumé “final”.pdf',
      contentType: 'application/pdf',
    })
    const older = anAttachment(event, undefined, { createdAt: T0 })
    const empty = anAttachment(event, Buffer.alloc(0), {
      createdAt: T0 + 2 * MINUTE,
      filename: 'empty.bin',
    })
    const ofSibling = anAttachment(sibling)
    const inOther = anAttachment(elsewhere)
    for (const { meta, bytes } of [newer, older, empty, ofSibling, inOther]) {
      t.strictSame(await store.putAttachment(meta, bytes), { kind: 'done', value: meta })
    }

    t.strictSame(await store.listAttachments(CAL, event.id), [older.meta, newer.meta, empty.meta])
    t.strictSame(await store.listAttachments(CAL, sibling.id), [ofSibling.meta])
    t.strictSame(await store.listAttachments(OTHER, event.id), [inOther.meta], 'per calendar')
    t.strictSame(await store.listAttachments(CAL, 'evt_unknown'), [])

    for (const { meta, bytes } of [newer, older, empty]) {
      const got = await store.getAttachment(CAL, event.id, meta.id)
      t.strictSame(got?.meta, meta, `${meta.filename}: its record`)
      t.ok(got?.bytes.equals(bytes), `${meta.filename}: its bytes`)
    }
    t.equal(await store.getAttachment(CAL, sibling.id, newer.meta.id), null, 'not under another event')
    t.equal(await store.getAttachment(OTHER, event.id, newer.meta.id), null, 'not in another calendar')
    t.equal(await store.getAttachment(CAL, event.id, 'att_unknown'), null)

    const notFound = { kind: 'done', value: false }
    t.strictSame(
      await store.deleteAttachment(CAL, sibling.id, newer.meta.id),
      notFound,
      'not under that event',
    )
    t.strictSame(
      await store.deleteAttachment(OTHER, event.id, newer.meta.id),
      notFound,
      'not in that calendar',
    )
    t.strictSame(await store.deleteAttachment(CAL, event.id, newer.meta.id), { kind: 'done', value: true })
    t.strictSame(await store.deleteAttachment(CAL, event.id, newer.meta.id), notFound, 'already gone')
    t.equal(await store.getAttachment(CAL, event.id, newer.meta.id), null)
    t.strictSame(await store.listAttachments(CAL, event.id), [older.meta, empty.meta])
    t.strictSame(
      await store.listAttachments(OTHER, event.id),
      [inOther.meta],
      'the other calendar keeps its own',
    )
  })

  scenario('putAttachment refuses an unknown event with EventNotFoundError', async (t, store) => {
    const elsewhere = anEvent({ calendarId: OTHER })
    await seed(store, [elsewhere])
    const unknown = anAttachment(anEvent())
    await rejectsWith(t, store.putAttachment(unknown.meta, unknown.bytes), EventNotFoundError)
    const wrongCalendar = anAttachment({ id: elsewhere.id, calendarId: CAL })
    await rejectsWith(t, store.putAttachment(wrongCalendar.meta, wrongCalendar.bytes), EventNotFoundError)
    t.strictSame(await store.listAttachments(CAL, elsewhere.id), [], 'nothing stored')
    t.strictSame(await store.listAttachments(OTHER, elsewhere.id), [])

    const event = anEvent()
    await seed(store, [event])
    const lying = anAttachment(event, Buffer.from('four'), { size: 5 })
    await t.rejects(store.putAttachment(lying.meta, lying.bytes), /says 5 bytes but has 4/)
    t.strictSame(await store.listAttachments(CAL, event.id), [], 'a record that misdescribes its bytes')
  })

  scenario('putAttachment with an idempotency key replays it and stores nothing more', async (t, store) => {
    const event = anEvent()
    await seed(store, [event])
    const first = anAttachment(event)
    const key = anIdempotencyWrite({
      createdAt: T0,
      response: { status: 201, body: { id: first.meta.id } },
    })
    t.strictSame(await store.putAttachment(first.meta, first.bytes, key), {
      kind: 'done',
      value: first.meta,
    })
    const again = anAttachment(event)
    t.strictSame(await store.putAttachment(again.meta, again.bytes, { ...key, createdAt: T0 + MINUTE }), {
      kind: 'replay',
      record: { ...key, calendarId: CAL },
    })
    t.strictSame(await store.listAttachments(CAL, event.id), [first.meta], 'the replay stored nothing')
    t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

    const missing = anAttachment(anEvent())
    const otherKey = anIdempotencyWrite({ createdAt: T0 })
    await rejectsWith(t, store.putAttachment(missing.meta, missing.bytes, otherKey), EventNotFoundError)
    t.equal(await store.findIdempotency(CAL, otherKey.key, T0), null, 'a refused write records no key')
  })

  scenario('deleteAttachment with an idempotency key records it with the deletion', async (t, store) => {
    const event = anEvent()
    await seed(store, [event])
    const first = anAttachment(event, undefined, { createdAt: T0 })
    const second = anAttachment(event, undefined, { createdAt: T0 + MINUTE })
    for (const { meta, bytes } of [first, second]) await store.putAttachment(meta, bytes)

    const key = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
    t.strictSame(await store.deleteAttachment(CAL, event.id, first.meta.id, key), {
      kind: 'done',
      value: true,
    })
    t.strictSame(await store.findIdempotency(CAL, key.key, T0 + MINUTE), { ...key, calendarId: CAL })

    const again = { ...key, createdAt: T0 + MINUTE }
    t.strictSame(await store.deleteAttachment(CAL, event.id, first.meta.id, again), {
      kind: 'replay',
      record: { ...key, calendarId: CAL },
    })
    const another = { ...key, requestHash: 'sha256:another-request', createdAt: T0 + MINUTE }
    t.strictSame(await store.deleteAttachment(CAL, event.id, second.meta.id, another), {
      kind: 'replay',
      record: { ...key, calendarId: CAL },
    })
    t.strictSame(await store.listAttachments(CAL, event.id), [second.meta], 'a replay deletes nothing')

    const unused = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
    t.strictSame(await store.deleteAttachment(CAL, event.id, 'att_unknown', unused), {
      kind: 'done',
      value: false,
    })
    t.equal(await store.findIdempotency(CAL, unused.key, T0), null, 'nothing deleted, no key recorded')
    t.strictSame(await store.deleteAttachment(CAL, event.id, second.meta.id, unused), {
      kind: 'done',
      value: true,
    })
    t.strictSame(await store.listAttachments(CAL, event.id), [])
  })

  scenario('deleting an event in a plan deletes its attachments, and only its', async (t, store) => {
    const doomed = anEvent()
    const kept = anEvent()
    await seed(store, [doomed, kept])
    const big = anAttachment(doomed, Buffer.alloc(300 * 1024, 1))
    const small = anAttachment(doomed)
    const other = anAttachment(kept)
    for (const { meta, bytes } of [big, small, other]) await store.putAttachment(meta, bytes)

    const job = aJob({ type: 'delete', eventId: doomed.id, payload: { type: 'delete' } })
    await store.submit({ calendarId: CAL, job })
    await store.applyPlan(aPlan(job, { deletions: [doomed.id] }))

    t.equal(await store.getEvent(CAL, doomed.id), null)
    t.strictSame(await store.listAttachments(CAL, doomed.id), [])
    t.equal(await store.getAttachment(CAL, doomed.id, big.meta.id), null)
    t.equal(await store.getAttachment(CAL, doomed.id, small.meta.id), null)
    t.strictSame(await store.deleteAttachment(CAL, doomed.id, small.meta.id), {
      kind: 'done',
      value: false,
    })
    t.strictSame(await store.listAttachments(CAL, kept.id), [other.meta], 'another event keeps its own')
    const late = anAttachment(doomed)
    await rejectsWith(t, store.putAttachment(late.meta, late.bytes), EventNotFoundError, 'none can be added')
  })

  scenario('an upload racing the deletion of its event leaves no attachment behind', async (t, store) => {
    for (let round = 0; round < 5; round++) {
      const event = anEvent()
      await seed(store, [event])
      const job = aJob({ type: 'delete', eventId: event.id, payload: { type: 'delete' } })
      await store.submit({ calendarId: CAL, job })
      const upload = anAttachment(event, Buffer.alloc(64 * 1024, round))
      const [put, plan] = await Promise.allSettled([
        store.putAttachment(upload.meta, upload.bytes),
        store.applyPlan(aPlan(job, { deletions: [event.id] })),
      ])
      t.equal(plan.status, 'fulfilled', 'the plan applies')
      if (put.status === 'rejected')
        t.ok(put.reason instanceof EventNotFoundError, 'a refused upload says why')
      t.strictSame(await store.listAttachments(CAL, event.id), [], `round ${round}: nothing left`)
      t.equal(await store.getAttachment(CAL, event.id, upload.meta.id), null)
    }
  })
}
