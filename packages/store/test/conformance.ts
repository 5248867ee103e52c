import type { TcpProxy } from '@scheduler/test-helpers/tcp-proxy'
import type { Test } from 'tap'
import type { Store } from '../src/port.js'
import { attachmentScenarios } from './conformance-attachments.js'
import { busyTimeScenarios } from './conformance-busy-times.js'
import { calendarScenarios } from './conformance-calendars.js'
import { eventScenarios } from './conformance-events.js'
import { feedTokenScenarios } from './conformance-feed-tokens.js'
import { housekeepingScenarios } from './conformance-housekeeping.js'
import { jobFailureScenarios } from './conformance-job-failures.js'
import { keysAndTimeoutsScenarios } from './conformance-keys-timeouts.js'
import { placementScenarios, planScenarios } from './conformance-placement.js'
import { syncScenarios } from './conformance-sync.js'
import { webhookScenarios } from './conformance-webhooks.js'

export interface OpenedStore {
  store: Store
  /** Closes the store and removes everything it stored (a fresh database per call). */
  cleanup: () => Promise<void>
  /** With `OpenOptions.proxy`: the TCP hop between the store and its server. */
  proxy?: TcpProxy
}

export interface OpenOptions {
  /**
   * Connect through a TCP proxy in front of the server (`@scheduler/test-helpers/tcp-proxy`), made for this test
   * (its teardown cuts it). An adapter whose server cannot be proxied answers no `proxy`.
   */
  proxy?: Test
  /** The store's operation timeout in ms (`openStore`'s `timeoutMs`). */
  timeoutMs?: number
}

/**
 * The behaviour every `Store` adapter must have, one file per aggregate (`conformance-<aggregate>.ts`).
 * Each subtest calls `open` for an empty store of its own and `cleanup` in its teardown.
 */
export function conformanceSuite(
  t: Test,
  name: string,
  open: (options?: OpenOptions) => Promise<OpenedStore>,
) {
  return t.test(`${name} store conformance`, async (t) => {
    const scenario = (title: string, body: (t: Test, store: Store) => Promise<void>) =>
      t.test(title, async (t) => {
        const { store, cleanup } = await open()
        t.teardown(cleanup)
        await body(t, store)
      })
    scenario('answers pings', async (t, store) => {
      await t.resolves(store.ping())
    })

    calendarScenarios(scenario)
    eventScenarios(scenario)
    syncScenarios(scenario)
    planScenarios(scenario)
    placementScenarios(scenario)
    jobFailureScenarios(scenario)
    busyTimeScenarios(scenario)
    attachmentScenarios(scenario)
    webhookScenarios(scenario)
    feedTokenScenarios(scenario)
    housekeepingScenarios(scenario)
    keysAndTimeoutsScenarios(t, scenario, open)
  })
}
