import { readFileSync } from 'node:fs'
import { startService } from '@scheduler/test-helpers/service'

const BURST = Number(process.env.BENCH_BURST ?? 1000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50)

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

function rssMiB(pid: number | undefined): string {
  if (!pid) return '?'
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? (Number(match[1]) / 1024).toFixed(0) : '?'
}

/** A burst of creates against the real API and one worker: acceptance latency and placement throughput. */
export async function runServiceBench(): Promise<void> {
  const teardowns: Array<() => unknown> = []
  try {
    const service = await startService(
      { teardown: (fn) => teardowns.push(fn) },
      {
        CALENDAR_WORKING_HOURS: 'mon-sun 00:00-24:00',
        CALENDAR_SLOT_MINUTES: '5',
        CALENDAR_HORIZON_DAYS: '365',
      },
    )
    const api = await service.startApi()
    const worker = service.startWorker()

    const latencies: number[] = []
    const jobIds: string[] = []
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < BURST) {
          const i = next++
          const sent = performance.now()
          const answer = await service.call('POST', '/v1/events', {
            body: { title: `Bench ${i}`, durationMinutes: 30 },
          })
          latencies.push(performance.now() - sent)
          if (answer.status !== 202) throw new Error(`create answered ${answer.status}`)
          jobIds.push(answer.body.job.id)
        }
      }),
    )
    const accepted = performance.now() - started
    const store = await service.store()
    for (;;) {
      const unfinished = await store.unfinishedJobs(Date.now() + 60_000, 1)
      if (unfinished.length === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const placed = performance.now() - started
    latencies.sort((a, b) => a - b)
    console.log(`service: ${BURST} creates, ${CONCURRENCY} at a time, against the real API + 1 worker`)
    console.table({
      'accept p50 ms': percentile(latencies, 50).toFixed(1),
      'accept p95 ms': percentile(latencies, 95).toFixed(1),
      'accept p99 ms': percentile(latencies, 99).toFixed(1),
      'accepted per second': Math.round((BURST / accepted) * 1000),
      'placed per second (end to end)': Math.round((BURST / placed) * 1000),
      'API RSS MiB': rssMiB(api.child.pid),
      'worker RSS MiB': rssMiB(worker.child.pid),
    })
  } finally {
    for (const teardown of teardowns.reverse()) await teardown()
  }
}
