import { setTimeout as sleep } from 'node:timers/promises'
import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { freePort, type JsonObject, startService, waitUntil } from '@scheduler/test-helpers/service'
import pg from 'pg'
import t from 'tap'

const ZONE = 'UTC'
const WRITE_MS = 15_000
const API_PROCESSES = 3

// biome-ignore lint/suspicious/noExplicitAny: the copies hold events as the API answers them
type Resource = Record<string, any>

t.test(
  'a poller on sync tokens keeps an exact copy while API processes and the worker write in bursts',
  { timeout: 180_000 },
  async (t) => {
    const service = await startService(t, { CALENDAR_TIMEZONE: ZONE })
    // The API processes and the worker start together; on a loaded machine start-up may take a while.
    const ports = await Promise.all(Array.from({ length: API_PROCESSES - 1 }, freePort))
    const urls = [service.baseUrl, ...ports.map((port) => `http://127.0.0.1:${port}`)]
    const first = service.startApi().catch(() => undefined)
    for (const port of ports) void service.startApi({ PORT: String(port) }).catch(() => undefined)
    service.startWorker()
    await first
    await Promise.all(urls.map((url) => waitUntil(async () => (await ready(url)) === 200, 90_000)))
    const token = service.token()

    async function call(url: string, method: string, path: string, body?: unknown): Promise<JsonObject> {
      const response = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : null }
    }

    // The event that a late commit will change: only the slow writer below touches it (a fixed event at a
    // time no other writer uses, so no placement moves it).
    const target = await service.createAndPlace({
      title: 'Late',
      durationMinutes: 30,
      start: at(upcomingWeekday(ZONE, 20), '07:00'),
    })
    t.equal(target.status, 'scheduled')

    let writing = true
    const known: string[] = []
    const stats = { writes: 0, accepted: 0 }

    /** One API process's clients: bursts of creates, patches, cancels and deletes, then a pause. */
    async function writer(url: string, seed: number): Promise<void> {
      let n = seed
      const random = () => {
        n = (n * 1_103_515_245 + 12_345) % 2_147_483_648
        return n / 2_147_483_648
      }
      while (writing) {
        for (let burst = 0; burst < 8 && writing; burst++) {
          const roll = random()
          const id = known[Math.floor(random() * known.length)]
          let answer: JsonObject
          if (roll < 0.45 || id === undefined) {
            const fixed = random() < 0.3
            const when = fixed
              ? { start: at(upcomingWeekday(ZONE, Math.floor(random() * 15)), slot(random)) }
              : { date: day(Math.floor(random() * 15)) }
            answer = await call(url, 'POST', '/v1/events', {
              title: `e${seed}`,
              durationMinutes: 30,
              ...when,
            })
            if (answer.status === 202) known.push(answer.body.event.id)
          } else if (roll < 0.7) {
            const change =
              random() < 0.5 ? { title: `renamed ${Math.floor(random() * 100)}` } : { date: day(2) }
            answer = await call(url, 'PATCH', `/v1/events/${id}`, change)
          } else if (roll < 0.85) {
            answer = await call(url, 'POST', `/v1/events/${id}/cancel`)
          } else {
            answer = await call(url, 'DELETE', `/v1/events/${id}`)
          }
          stats.writes += 1
          if (answer.status === 202) stats.accepted += 1
        }
        await sleep(150 + random() * 250)
      }
    }

    /** The sync-token poller: a full listing, then syncs in a loop; applies items and tombstones. */
    const syncCopy = new Map<string, Resource>()
    async function syncOnce(syncToken: string): Promise<string> {
      let cursor: string | null = null
      for (;;) {
        const query: string = `syncToken=${encodeURIComponent(syncToken)}&limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
        const page = await call(urls[0] as string, 'GET', `/v1/events?${query}`)
        if (page.status !== 200) throw new Error(`sync answered ${page.status}: ${JSON.stringify(page.body)}`)
        for (const item of page.body.items as Resource[]) {
          if (item.deleted === true) syncCopy.delete(item.id)
          else syncCopy.set(item.id, item)
        }
        if (page.body.nextCursor === null) return page.body.syncToken
        cursor = page.body.nextCursor
      }
    }
    let syncToken = ''
    async function syncPoller(): Promise<void> {
      let cursor: string | null = null
      do {
        const page = await call(
          urls[1] as string,
          'GET',
          `/v1/events?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
        for (const item of page.body.items as Resource[]) syncCopy.set(item.id, item)
        cursor = page.body.nextCursor
        if (cursor === null) syncToken = page.body.syncToken
        await sleep(20)
      } while (cursor !== null)
      while (writing) {
        syncToken = await syncOnce(syncToken)
        await sleep(100)
      }
    }

    /** The old protocol: a watermark on `updatedAt`, advanced to the newest stamp seen. */
    const timestampCopy = new Map<string, Resource>()
    let watermark = 0
    async function timestampPoll(): Promise<void> {
      let cursor: string | null = null
      let newest = watermark
      do {
        const since = new Date(watermark).toISOString()
        const page = await call(
          urls[2] as string,
          'GET',
          `/v1/events?order=updated&updatedSince=${since}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
        for (const item of page.body.items as Resource[]) {
          timestampCopy.set(item.id, item)
          newest = Math.max(newest, Date.parse(item.updatedAt))
        }
        cursor = page.body.nextCursor
      } while (cursor !== null)
      watermark = newest
    }
    async function timestampPoller(): Promise<void> {
      while (writing) {
        await timestampPoll()
        await sleep(100)
      }
    }

    /**
     * A writer whose transaction commits late: it stamps its change, and commits only after the timestamp
     * poller has seen a newer stamp (as a slow API process or worker would, by chance, under load).
     */
    async function lateWriter(): Promise<number> {
      await sleep(3_000)
      const client = new pg.Client({ connectionString: service.env.STORE_URL })
      await client.connect()
      try {
        const stamp = new Date()
        await client.query('BEGIN')
        await client.query(
          `UPDATE events SET status = 'cancelled', version = version + 1, updated_at = $2
           WHERE calendar_id = 'default' AND id = $1`,
          [target.id, stamp],
        )
        await waitUntil(async () => watermark > stamp.getTime(), 10_000)
        await client.query('COMMIT')
        return stamp.getTime()
      } finally {
        await client.end()
      }
    }

    const started = Date.now()
    const stop = sleep(WRITE_MS).then(() => {
      writing = false
    })
    const [lateStamp] = await Promise.all([
      lateWriter(),
      stop,
      syncPoller(),
      timestampPoller(),
      // Two clients per API process.
      ...[...urls, ...urls].map((url, i) => writer(url, i + 1)),
    ])
    t.ok(stats.accepted > 20, `writes accepted while polling (${stats.accepted} of ${stats.writes})`)

    // Everything accepted is applied (the worker and its reconciler), then one last poll of each kind.
    const store = await service.store()
    await waitUntil(async () => (await store.unfinishedJobs(Date.now() + 60_000, 1)).length === 0, 30_000)
    syncToken = await syncOnce(syncToken)
    await timestampPoll()

    const final = new Map<string, Resource>()
    let cursor: string | null = null
    do {
      const page = await call(
        service.baseUrl,
        'GET',
        `/v1/events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      )
      for (const item of page.body.items as Resource[]) final.set(item.id, item)
      cursor = page.body.nextCursor
    } while (cursor !== null)
    const sorted = (copy: Map<string, Resource>) => [...copy.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
    t.ok(final.size > 5, `the calendar holds ${final.size} events at the end`)
    t.strictSame(sorted(syncCopy), sorted(final), 'the sync-token copy equals the final state exactly')
    t.equal(final.get(target.id)?.status, 'cancelled', 'the late commit is in the final state')

    // The old loop, under the same load: the late commit is missed for good, deletions stay as ghosts.
    const stale = sorted(final).filter(
      (event) => JSON.stringify(timestampCopy.get(event.id)) !== JSON.stringify(event),
    )
    const ghosts = [...timestampCopy.keys()].filter((id) => !final.has(id))
    t.equal(timestampCopy.get(target.id)?.status, 'scheduled', 'the updatedSince loop missed the late commit')
    t.ok(
      stale.length > 0,
      `the updatedSince copy is wrong: ${stale.length} stale or missing, ${ghosts.length} ghosts`,
    )
    t.comment(
      `${stats.accepted} writes in ${Math.round((Date.now() - started) / 1000)} s; late commit stamped ` +
        `${new Date(lateStamp).toISOString()}; updatedSince copy: ${stale.length} stale/missing, ${ghosts.length} ghosts`,
    )
  },
)

function day(n: number): string {
  return upcomingWeekday(ZONE, n).toISODate() ?? ''
}

function slot(random: () => number): string {
  const minutes = 9 * 60 + Math.floor(random() * 16) * 30
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

async function ready(url: string): Promise<number | undefined> {
  return (await fetch(`${url}/readyz`).catch(() => null))?.status
}
