import {
  aDelivery,
  aJob,
  aMessage,
  anIdempotencyWrite,
  aPlan,
  DAY,
  MINUTE,
  T0,
  uniqueId,
} from '@scheduler/test-helpers/builders'
import { CAL, finished, type Scenario } from './conformance-support.js'

/** The housekeeping's behaviour, run by `conformanceSuite` for every adapter. */
export function housekeepingScenarios(scenario: Scenario): void {
  scenario(
    'purgeExpired removes old keys, finished jobs, dispatched messages and deliveries',
    async (t, store) => {
      const before = T0
      const old = T0 - 2 * DAY
      const oldKey = anIdempotencyWrite({ createdAt: old })
      const newKey = anIdempotencyWrite({ createdAt: T0 + 1 })
      const oldFinished = aJob({ createdAt: old })
      const oldQueued = aJob({ createdAt: old })
      const newFinished = aJob({ createdAt: T0 + MINUTE })
      await store.submit({ calendarId: CAL, job: oldFinished, idempotency: oldKey })
      await store.submit({ calendarId: CAL, job: oldQueued })
      await store.submit({ calendarId: CAL, job: newFinished, idempotency: newKey })

      const oldSent = aMessage({ createdAt: old })
      const oldUnsent = aMessage({ createdAt: old + 1 })
      const newSent = aMessage({ createdAt: T0 + MINUTE })
      await store.applyPlan(
        aPlan(oldFinished, { messages: [oldSent, oldUnsent], job: finished(old + MINUTE) }),
      )
      await store.applyPlan(aPlan(newFinished, { messages: [newSent], job: finished(T0 + 2 * MINUTE) }))
      await store.markDispatched([oldSent.id], old + 2 * MINUTE)
      await store.markDispatched([newSent.id], T0 + 3 * MINUTE)

      const webhookId = uniqueId('whk')
      const oldDelivery = aDelivery({ webhookId, at: old })
      const newDelivery = aDelivery({ webhookId, at: T0 + MINUTE })
      await store.recordDelivery(oldDelivery)
      await store.recordDelivery(newDelivery)

      await store.purgeExpired(before)

      t.equal(await store.findIdempotency(CAL, oldKey.key, old + 1), null, 'old key gone')
      t.ok(await store.findIdempotency(CAL, newKey.key, T0 + 2), 'new key kept')
      t.equal(await store.getJob(CAL, oldFinished.id), null, 'old finished job gone')
      t.ok(await store.getJob(CAL, oldQueued.id), 'unfinished job kept')
      t.ok(await store.getJob(CAL, newFinished.id), 'recent job kept')
      t.equal(await store.getMessage(oldSent.id), null, 'old dispatched message gone')
      t.ok(await store.getMessage(oldUnsent.id), 'undispatched message kept')
      t.ok(await store.getMessage(newSent.id), 'recent message kept')
      t.strictSame(await store.listDeliveries(CAL, webhookId, 10), [newDelivery], 'old delivery gone')
    },
  )
}
