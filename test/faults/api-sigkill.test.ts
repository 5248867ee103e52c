import { type JsonObject, startService, waitUntil } from '@scheduler/test-helpers/service'
import t from 'tap'
import { inspector, untilAnswered, waitForJobsFinished } from './fault-kit.js'

const BURST = 80
const IN_FLIGHT = 6
const KILL_AFTER = 25

t.test('the API killed with SIGKILL mid-burst: retried keys create every event exactly once', async (t) => {
  const service = await startService(t, {
    CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
    CALENDAR_SLOT_MINUTES: '5',
    RECONCILE_AFTER_MS: '500',
  })
  let api = await service.startApi()
  service.startWorker()
  const db = await inspector(t, service)

  let accepted = 0
  let unanswered = 0
  let replayed = 0
  const refused: string[] = []
  const answers = new Map<number, { eventId: string; tries: number }>()
  const send = async (i: number) => {
    const answer = await untilAnswered(
      async () => {
        try {
          const reply = await service.call('POST', '/v1/events', {
            body: { title: `Burst ${i}`, durationMinutes: 15 },
            headers: { 'idempotency-key': `burst-key-${i}` },
          })
          if (reply.headers.get('idempotent-replayed') === 'true') replayed++
          return reply
        } catch (error) {
          unanswered++
          throw error
        }
      },
      { pauseMs: 50, deadlineMs: 120_000 },
    )
    if (answer.status !== 202) refused.push(`key ${i}: ${answer.status} ${JSON.stringify(answer.body)}`)
    accepted++
    const body = answer.body as JsonObject
    answers.set(i, { eventId: body.event?.id, tries: answer.tries })
  }

  const queue = Array.from({ length: BURST }, (_, i) => i)
  const clients = Array.from({ length: IN_FLIGHT }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await send(i)
  })
  let acceptedBeforeKill = 0
  const killer = (async () => {
    await waitUntil(async () => accepted >= KILL_AFTER, 60_000)
    acceptedBeforeKill = accepted
    await api.stop('SIGKILL')
    api = await service.startApi()
  })()
  await Promise.all([...clients, killer])
  t.ok(acceptedBeforeKill < BURST, `killed mid-burst (${acceptedBeforeKill} of ${BURST} answered)`)
  t.ok(unanswered >= 1, `${unanswered} requests went unanswered and were retried with their key`)
  t.same(refused, [], 'every key answered 202 in the end')
  t.equal(answers.size, BURST, 'every key has its answer')
  t.equal(new Set([...answers.values()].map((a) => a.eventId)).size, BURST, 'a distinct event per key')

  await waitForJobsFinished(db, BURST, 60_000)
  const perKey = await db.rows<{ title: string; n: string }>(
    'SELECT title, count(*) AS n FROM events GROUP BY title',
  )
  t.equal(perKey.length, BURST, 'an event for every key')
  t.ok(
    perKey.every((row) => row.n === '1'),
    'no key created two events',
  )
  const [keys] = await db.rows<{ n: string }>('SELECT count(*) AS n FROM idempotency_keys')
  t.equal(Number(keys?.n), BURST, 'one idempotency record per key')
  for (const [i, { eventId }] of answers) {
    const [row] = await db.rows('SELECT title FROM events WHERE id = $1', [eventId])
    if (row?.title !== `Burst ${i}`) t.fail(`key ${i} answered event ${eventId}, which is ${row?.title}`)
  }
  t.same(await db.jobStates(), { completed: BURST }, 'one job per event, all completed')
  t.same(await db.eventStatuses(), { scheduled: BURST }, 'every event placed')
  t.equal(await db.overlaps(), 0, 'no overlap')

  const retried = [...answers.values()].filter((a) => a.tries > 1).length
  t.comment(
    `faults/api-sigkill: sent ${BURST} keys, accepted ${answers.size}, ${acceptedBeforeKill} before the kill, ` +
      `${unanswered} unanswered tries, ${retried} keys retried (${replayed} answered from their stored record), events ${perKey.length}, ` +
      `lost ${BURST - perKey.length}, duplicates ${perKey.filter((row) => row.n !== '1').length}`,
  )
})
