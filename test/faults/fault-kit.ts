import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, type Service, waitUntil } from '@scheduler/test-helpers/service'
import { Redis } from 'ioredis'
import pg from 'pg'

interface TestLike {
  teardown: (fn: () => unknown) => void
}

/**
 * A PostgreSQL client on the service's own database, to read what the processes wrote (plain SQL, so the
 * checks do not depend on the store port's shape). Closed in teardown.
 */
export async function inspector(t: TestLike, service: Service) {
  const pool = new pg.Pool({ connectionString: service.env.STORE_URL, max: 2 })
  pool.on('error', () => {})
  t.teardown(() => pool.end())
  // biome-ignore lint/suspicious/noExplicitAny: rows are inspected column by column
  async function rows<T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await pool.query(sql, params)).rows as T[]
  }
  return {
    rows,
    /** Pairs of scheduled events that overlap (the exclusion constraint should make this 0). */
    async overlaps(): Promise<number> {
      const [row] = await rows<{ n: string }>(
        `SELECT count(*) AS n FROM events a JOIN events b
           ON a.calendar_id = b.calendar_id AND a.id < b.id
          AND tstzrange(a.start_at, a.end_at, '[)') && tstzrange(b.start_at, b.end_at, '[)')
        WHERE a.status = 'scheduled' AND b.status = 'scheduled'`,
      )
      return Number(row?.n)
    },
    /** Jobs by state, e.g. `{completed: 60}`. */
    async jobStates(): Promise<Record<string, number>> {
      const states = await rows<{ state: string; n: string }>(
        'SELECT state, count(*) AS n FROM jobs GROUP BY state',
      )
      return Object.fromEntries(states.map((row) => [row.state, Number(row.n)]))
    },
    /** Events by status, e.g. `{scheduled: 60}`. */
    async eventStatuses(): Promise<Record<string, number>> {
      const statuses = await rows<{ status: string; n: string }>(
        'SELECT status, count(*) AS n FROM events GROUP BY status',
      )
      return Object.fromEntries(statuses.map((row) => [row.status, Number(row.n)]))
    },
  }
}

/** Polls until every job the database holds is finished (none `queued`/`active`). */
export async function waitForJobsFinished(
  db: Awaited<ReturnType<typeof inspector>>,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  await waitUntil(async () => {
    const states = await db.jobStates()
    const finished = (states.completed ?? 0) + (states.failed ?? 0)
    return finished >= expected && (states.queued ?? 0) + (states.active ?? 0) === 0
  }, timeoutMs)
}

/** Resident set size of a process, in KiB (`VmRSS` in /proc/<pid>/status). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!match) throw new Error(`no VmRSS for ${pid}`)
  return Number(match[1])
}

/** The value at quantile `q` (0..1) of `values`. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/**
 * A redis-server of the test's own (`/usr/bin/redis-server`) on a free port, with AOF fsynced on every
 * write in a temporary directory, so that a test can SIGKILL it and start it again on the same data.
 * Stopped and removed in teardown.
 */
export async function ownRedis(t: TestLike) {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'faults-redis-'))
  let child: ChildProcess | null = null
  const url = `redis://127.0.0.1:${port}`

  async function start(): Promise<void> {
    child = spawn(
      '/usr/bin/redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    )
    await waitUntil(async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {})
      try {
        await probe.connect()
        return (await probe.ping()) === 'PONG'
      } catch {
        return false
      } finally {
        probe.disconnect()
      }
    }, 10_000)
  }

  async function kill(): Promise<void> {
    const running = child
    if (!running || running.exitCode !== null || running.signalCode !== null) return
    const exited = once(running, 'exit')
    running.kill('SIGKILL')
    await exited
  }

  t.teardown(async () => {
    await kill()
    await rm(dir, { recursive: true, force: true })
  })
  await start()
  return { url, port, start, kill }
}

/**
 * Sends `request` until it has an answer other than a connection failure or a 503, waiting `pauseMs`
 * between tries (a client retrying with the same Idempotency-Key). Answers the final status and body and
 * how many tries it took.
 */
export async function untilAnswered<T>(
  request: () => Promise<{ status: number; body: T }>,
  options: { pauseMs?: number; deadlineMs?: number } = {},
): Promise<{ status: number; body: T; tries: number }> {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000)
  for (let tries = 1; ; tries++) {
    try {
      const answer = await request()
      if (answer.status !== 503) return { ...answer, tries }
    } catch {
      // no answer at all: the process is gone or the connection was cut
    }
    if (Date.now() > deadline) throw new Error(`no answer after ${tries} tries`)
    await sleep(options.pauseMs ?? 100)
  }
}

/**
 * How many of the placement queue's BullMQ jobs took more than one attempt (BullMQ's `attemptsMade`,
 * field `atm` of the job's hash, which counts the finishing attempt too): the jobs that a fault made retry.
 */
export async function retriedPlacementJobs(
  redisUrl: string,
  prefix: string,
  jobIds: string[],
): Promise<number> {
  const redis = new Redis(redisUrl)
  try {
    const made = await Promise.all(jobIds.map((id) => redis.hget(`${prefix}:placement:${id}`, 'atm')))
    return made.filter((attempts) => Number(attempts ?? 0) > 1).length
  } finally {
    redis.disconnect()
  }
}
