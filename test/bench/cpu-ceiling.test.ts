import t from 'tap'
import { cpuCeilingRatio, shownRatio } from '../../bench/ingress-bench.js'

t.test("the cores' CPU a second over a request's CPU, as a ratio to the baseline", async (t) => {
  // 400 µs a request in all: 2 cores answer at most 5,000 a second, 0.1 of a 50,000 req/s baseline
  const cpu = { serverUs: 200, postgresUs: 100, redisUs: 40, loadUs: 60 }
  t.equal(cpuCeilingRatio(cpu, 50_000, 2), 0.1)
  t.equal(cpuCeilingRatio(cpu, 25_000, 2), 0.2, 'a slower baseline raises the ceiling')
  t.equal(cpuCeilingRatio(cpu, 50_000, 4), 0.2, 'so do more cores')
})

t.test('none without CPU figures or a baseline', async (t) => {
  t.equal(cpuCeilingRatio(null, 50_000, 2), null)
  t.equal(cpuCeilingRatio({ serverUs: 0, postgresUs: 0, redisUs: 0, loadUs: 0 }, 50_000, 2), null)
  t.equal(cpuCeilingRatio({ serverUs: 1, postgresUs: 0, redisUs: 0, loadUs: 0 }, 0, 2), null)
})

t.test('printed rounded down, so a figure just below a goal never reads as meeting it', async (t) => {
  t.equal(shownRatio(0.0996), '0.099')
  t.equal(shownRatio(0.1), '0.100')
  t.equal(shownRatio(0.30149), '0.301')
  t.equal(shownRatio(0.57), '0.570', 'not one below by binary rounding')
  t.equal(shownRatio(null), 'n/a')
})
