import { createHash, randomBytes } from 'node:crypto'
import { anIdempotencyWrite, MINUTE, T0, uniqueId } from '@scheduler/test-helpers/builders'
import type { Test } from 'tap'
import type { FeedTokenRecord, Store } from '../src/port.js'

const CAL = 'default'
const OTHER = 'other'

/** Test-data builder: a feed token with a fresh random hash. */
export function aFeedToken(overrides: Partial<FeedTokenRecord> = {}): FeedTokenRecord {
  return {
    id: uniqueId('ftk'),
    calendarId: CAL,
    label: 'Phone',
    tokenHash: createHash('sha256').update(randomBytes(32)).digest('hex'),
    createdAt: T0,
    ...overrides,
  }
}

type Scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) => unknown

/** The feed-token aggregate's behaviour (issue 13), run by `conformanceSuite` for every adapter. */
export function feedTokenScenarios(scenario: Scenario): void {
  scenario('feed tokens: created, listed per calendar oldest first, found by hash', async (t, store) => {
    const second = aFeedToken({ createdAt: T0 + MINUTE, label: null })
    const first = aFeedToken({ createdAt: T0, label: 'Ann’s phone — “work”' })
    const elsewhere = aFeedToken({ calendarId: OTHER })
    for (const token of [second, first, elsewhere]) {
      t.strictSame(await store.createFeedToken(token), { kind: 'done', value: token })
    }
    t.strictSame(await store.listFeedTokens(CAL), [first, second])
    t.strictSame(await store.listFeedTokens(OTHER), [elsewhere])
    t.strictSame(await store.findFeedTokenByHash(first.tokenHash), first)
    t.strictSame(await store.findFeedTokenByHash(elsewhere.tokenHash), elsewhere, 'in any calendar')
    t.equal(await store.findFeedTokenByHash('0'.repeat(64)), null, 'unknown hash')
  })

  scenario('feed tokens: a hash is unique across calendars', async (t, store) => {
    const token = aFeedToken()
    await store.createFeedToken(token)
    await t.rejects(store.createFeedToken(aFeedToken({ tokenHash: token.tokenHash, calendarId: OTHER })))
    t.strictSame(await store.listFeedTokens(OTHER), [])
  })

  scenario('feed tokens: deleting revokes, per calendar; a second delete finds nothing', async (t, store) => {
    const token = aFeedToken()
    await store.createFeedToken(token)
    const notFound = { kind: 'done', value: false }
    t.strictSame(await store.deleteFeedToken(OTHER, token.id), notFound, 'not in that calendar')
    t.strictSame(await store.deleteFeedToken(CAL, token.id), { kind: 'done', value: true })
    t.strictSame(await store.deleteFeedToken(CAL, token.id), notFound, 'already gone')
    t.equal(await store.findFeedTokenByHash(token.tokenHash), null, 'revoked')
    t.strictSame(await store.listFeedTokens(CAL), [])
  })

  scenario('feed tokens: idempotency keys on create and delete', async (t, store) => {
    const token = aFeedToken()
    const key = anIdempotencyWrite({ createdAt: T0, response: { status: 201, body: { id: token.id } } })
    t.strictSame(await store.createFeedToken(token, key), { kind: 'done', value: token })
    const again = aFeedToken()
    t.strictSame(await store.createFeedToken(again, { ...key, createdAt: T0 + MINUTE }), {
      kind: 'replay',
      record: { ...key, calendarId: CAL },
    })
    t.strictSame(await store.listFeedTokens(CAL), [token], 'a replay stores nothing')

    const unused = anIdempotencyWrite({ createdAt: T0, response: { status: 204, body: null } })
    t.strictSame(await store.deleteFeedToken(CAL, 'ftk_unknown', unused), { kind: 'done', value: false })
    t.equal(await store.findIdempotency(CAL, unused.key, T0), null, 'nothing deleted, no key recorded')
    t.strictSame(await store.deleteFeedToken(CAL, token.id, unused), { kind: 'done', value: true })
    t.strictSame(await store.deleteFeedToken(CAL, token.id, { ...unused, createdAt: T0 + MINUTE }), {
      kind: 'replay',
      record: { ...unused, calendarId: CAL },
    })
  })
}
