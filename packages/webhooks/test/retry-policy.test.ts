import { parseDurationList } from '@scheduler/config'
import t from 'tap'
import { RETRY_JITTER, retryDelay, webhookRetryPolicy } from '../src/index.js'

const schedule = parseDurationList('5s,5m,30m,2h,5h,10h,10h')

t.test('without jitter the delay is the schedule entry of that retry', async (t) => {
  const middle = () => 0.5
  t.equal(retryDelay(1, schedule, middle), 5_000)
  t.equal(retryDelay(2, schedule, middle), 300_000)
  t.equal(retryDelay(7, schedule, middle), 36_000_000)
  t.equal(retryDelay(20, schedule, middle), 36_000_000, 'past the end: the last entry')
  t.equal(retryDelay(0, schedule, middle), 5_000, 'before any attempt: the first entry')
})

t.test('jitter stays within ±20% and never goes below 0', async (t) => {
  t.equal(
    retryDelay(1, schedule, () => 0),
    5_000 * (1 - RETRY_JITTER),
  )
  t.equal(
    retryDelay(1, schedule, () => 1),
    5_000 * (1 + RETRY_JITTER),
  )
  for (let attempt = 1; attempt <= schedule.length; attempt++) {
    const base = schedule[attempt - 1]!
    const delays = Array.from({ length: 500 }, () => retryDelay(attempt, schedule))
    t.ok(Math.min(...delays) >= base * 0.8, `attempt ${attempt}: never below -20%`)
    t.ok(Math.max(...delays) <= base * 1.2, `attempt ${attempt}: never above +20%`)
    t.ok(new Set(delays).size > 1, `attempt ${attempt}: jittered`)
  }
  t.equal(
    retryDelay(1, [0], () => 0),
    0,
  )
  t.equal(
    retryDelay(1, [], () => 0.3),
    0,
    'an empty schedule retries at once',
  )
})

t.test('the test schedule parses to milliseconds', async (t) => {
  t.same(parseDurationList('200ms,400ms'), [200, 400])
})

t.test('the policy: one attempt more than the schedule has entries, delays from the schedule', async (t) => {
  const policy = webhookRetryPolicy(schedule, () => 0.5)
  t.equal(policy.attempts, 8)
  t.equal(policy.delay(1), 5_000)
  t.equal(policy.delay(7), 36_000_000)
  t.equal(webhookRetryPolicy([]).attempts, 1, 'an empty schedule: the first try only')
})
