import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { configSchema } from '@scheduler/config'
import { startService, waitUntil } from '@scheduler/test-helpers/service'
import autocannon from 'autocannon'

/**
 * The ingress figures (issue 11), in one run: the API alone (no worker while it is measured) under
 * autocannon, 50 connections, no pipelining, BENCH_INGRESS_SECONDS per route: authenticated
 * `POST /v1/events` (auto events, an `Idempotency-Key` per request), `GET /v1/events/{id}/status` and
 * `GET /v1/events?updatedSince=…` (a poll after a quiet spell: one event changed since). Each route's
 * baseline is a bare Fastify hello-world served from the API's own `node_modules`, measured in slices that
 * alternate with the route's. Beside req/s, the CPU time per request of the API, PostgreSQL, Redis and the
 * load generator (Linux /proc), and the ratio the machine's cores could reach at those costs (its CPU
 * ceiling, `cpuCeilingRatio`). The API logs at `info` (request logging on, as an operator keeps it;
 * BENCH_INGRESS_LOG_LEVEL changes it) to /dev/null; the rate limit is on, with a ceiling above the load
 * (its Redis check is paid).
 */
const SECONDS = Number(process.env.BENCH_INGRESS_SECONDS ?? 8)
const WARM_UP_SECONDS = 2
// The route and the baseline alternate in this many slices of SECONDS / SLICES each
const SLICES = Number(process.env.BENCH_INGRESS_SLICES ?? 4)
// A worker drains the creates after they were measured (its drain time is reported); BENCH_INGRESS_WORKER=0: none
const WITH_WORKER = process.env.BENCH_INGRESS_WORKER !== '0'
const CONNECTIONS = 50
const CORES = availableParallelism()
const ROOT = fileURLToPath(new URL('..', import.meta.url))
// BENCH_INGRESS_CPU_PROF=<dir> runs the API under `node --cpu-prof` (profile written there on exit)
const CPU_PROF_DIR = process.env.BENCH_INGRESS_CPU_PROF
const ROUTES = ['create', 'prototype', 'status', 'list', 'healthz'] as const
type Route = (typeof ROUTES)[number]
const LOG_LEVELS: readonly string[] = configSchema.properties.LOG_LEVEL.anyOf.map((level) => level.const)

/** The one route measured alone (undefined: a whole run) and the API's LOG_LEVEL. */
export interface IngressSelection {
  only: Route | undefined
  logLevel: string
}

/**
 * The bench's selection from the environment, checked before any bench starts (bench/run.ts).
 * BENCH_INGRESS_ONLY=create|prototype|status|list|healthz measures that one route alone (a profile of its
 * path), prints its line and writes no JSON; `healthz` is the floor every answer pays (hooks, request log,
 * metrics, headers) without the token, the rate limit or the store, and is measured only alone.
 * BENCH_INGRESS_LOG_LEVEL is the API's LOG_LEVEL (`info` when unset or empty): the goals are measured at
 * `info` (request logging on, as an operator keeps it), so another level (`warn` shows what the request line
 * costs) goes with one route only. Throws an Error naming the setting for an unknown route or level, or
 * another level on a whole run.
 */
export function ingressSelection(env: NodeJS.ProcessEnv): IngressSelection {
  const only = env.BENCH_INGRESS_ONLY || undefined
  if (only !== undefined && !(ROUTES as readonly string[]).includes(only)) {
    throw new Error(`unknown BENCH_INGRESS_ONLY=${only}; expected one of ${ROUTES.join(', ')}`)
  }
  const logLevel = env.BENCH_INGRESS_LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new Error(`unknown BENCH_INGRESS_LOG_LEVEL=${logLevel}; expected one of ${LOG_LEVELS.join(', ')}`)
  }
  if (logLevel !== 'info' && only === undefined) {
    throw new Error(
      `the goals are measured at LOG_LEVEL=info: BENCH_INGRESS_LOG_LEVEL=${logLevel} goes with BENCH_INGRESS_ONLY=<route>`,
    )
  }
  return { only: only as Route | undefined, logLevel }
}

/**
 * CPU time (µs) spent per answered request by the server under test, PostgreSQL, Redis and the load
 * generator (this process: autocannon, which shares the machine's cores with the rest): the cost side of
 * a figure, steadier than req/s on a shared machine.
 */
export interface CpuPerRequest {
  serverUs: number
  postgresUs: number
  redisUs: number
  loadUs: number
}

/**
 * The most a route could reach on `cores` cores at the CPU it costs per request: `cores` seconds of CPU a
 * second divided by the CPU one request costs the server, PostgreSQL, Redis and the load generator
 * together, as a ratio to the baseline's req/s. An upper bound at the measured costs (the kernel's own work
 * on their behalf, other processes and idle time are not counted; a group commit may cost less a request
 * at a higher rate): a route whose ceiling is below its goal cannot meet it on this machine without costing
 * less somewhere. Null without CPU figures.
 */
export function cpuCeilingRatio(
  cpu: CpuPerRequest | null,
  baselineRequestsPerSecond: number,
  cores: number,
): number | null {
  if (cpu === null || baselineRequestsPerSecond <= 0) return null
  const perRequestUs = cpu.serverUs + cpu.postgresUs + cpu.redisUs + cpu.loadUs
  if (perRequestUs <= 0) return null
  return (cores * 1_000_000) / perRequestUs / baselineRequestsPerSecond
}

interface Figure {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  errors: number
  cpuPerRequest: CpuPerRequest | null
}

const TICK_US = 10_000 // USER_HZ is 100 on Linux

/** utime + stime (µs) of a process from /proc, 0 when it is gone or /proc is missing. */
function cpuUsOf(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_US
  } catch {
    return 0
  }
}

function commandOf(pid: string): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
  } catch {
    return ''
  }
}

/** CPU µs so far of the server process, of every PostgreSQL and Redis process (Linux /proc) and of this one. */
function cpuSnapshot(serverPid: number | undefined): {
  server: number
  postgres: number
  redis: number
  load: number
} {
  const ownUs = process.cpuUsage()
  const sums = {
    server: serverPid ? cpuUsOf(serverPid) : 0,
    postgres: 0,
    redis: 0,
    load: ownUs.user + ownUs.system,
  }
  let pids: string[] = []
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {}
  for (const pid of pids) {
    const command = commandOf(pid)
    if (command === 'postgres') sums.postgres += cpuUsOf(pid)
    else if (command === 'redis-server') sums.redis += cpuUsOf(pid)
  }
  return sums
}

async function load(options: autocannon.Options, seconds = SECONDS, serverPid?: number): Promise<Figure> {
  const before = cpuSnapshot(serverPid)
  const result = await autocannon({ connections: CONNECTIONS, pipelining: 1, duration: seconds, ...options })
  const after = cpuSnapshot(serverPid)
  const answered = result.requests.total
  const perRequest = (from: number, to: number) => Math.round((to - from) / Math.max(1, answered))
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: answered,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuPerRequest:
      serverPid === undefined
        ? null
        : {
            serverUs: perRequest(before.server, after.server),
            postgresUs: perRequest(before.postgres, after.postgres),
            redisUs: perRequest(before.redis, after.redis),
            loadUs: perRequest(before.load, after.load),
          },
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Spawns `args` with node, stdout to /dev/null, and waits until `ready` answers 200. */
async function spawnServer(
  args: string[],
  env: Record<string, string>,
  ready: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] })
  await waitUntil(async () => {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited during start-up`)
    return (await fetch(ready).catch(() => null))?.status === 200
  }, 90_000)
  return child
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/** The baseline: Fastify's hello-world, resolved from apps/api so it is the API's own Fastify. */
async function startHelloWorld(): Promise<{ url: string; child: ChildProcess }> {
  const fastifyPath = createRequire(new URL('../apps/api/package.json', import.meta.url)).resolve('fastify')
  const port = await freePort()
  const source = `
    const app = require(${JSON.stringify(fastifyPath)})()
    app.get('/', async () => ({ hello: 'world' }))
    app.listen({ host: '127.0.0.1', port: ${port} })
    process.on('SIGTERM', () => app.close())`
  const url = `http://127.0.0.1:${port}/`
  const child = await spawnServer(['-e', source], { PATH: process.env.PATH ?? '' }, url)
  return { url, child }
}

/** A route's figure and the baseline's, measured in alternating slices of the same run. */
interface Paired {
  figure: Figure
  baseline: Figure
}

/** Figures of several slices as one: requests summed, latency percentiles the worst slice's. */
function combined(slices: Figure[], seconds: number): Figure {
  const requests = slices.reduce((sum, slice) => sum + slice.requests, 0)
  const cpu = slices.every((slice) => slice.cpuPerRequest !== null)
    ? (['serverUs', 'postgresUs', 'redisUs', 'loadUs'] as const).reduce(
        (sums, key) => {
          sums[key] = Math.round(
            slices.reduce((sum, slice) => sum + (slice.cpuPerRequest?.[key] ?? 0) * slice.requests, 0) /
              Math.max(1, requests),
          )
          return sums
        },
        { serverUs: 0, postgresUs: 0, redisUs: 0, loadUs: 0 } as CpuPerRequest,
      )
    : null
  return {
    requestsPerSecond: requests / seconds,
    p50Ms: Math.max(...slices.map((slice) => slice.p50Ms)),
    p99Ms: Math.max(...slices.map((slice) => slice.p99Ms)),
    requests,
    non2xx: slices.reduce((sum, slice) => sum + slice.non2xx, 0),
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    cpuPerRequest: cpu,
  }
}

/**
 * The route and the hello-world baseline in SLICES alternating slices (baseline, route, baseline, …), each
 * SECONDS / SLICES long: a neighbour's burst on this shared machine then weighs on both sides of the ratio
 * instead of on one. Each is warmed up first.
 */
async function paired(
  route: autocannon.Options,
  apiPid: number | undefined,
  baseline: { url: string; pid: number | undefined },
): Promise<Paired> {
  const slice = SECONDS / SLICES
  await load(route, WARM_UP_SECONDS, apiPid)
  const routeSlices: Figure[] = []
  const baselineSlices: Figure[] = []
  for (let i = 0; i < SLICES; i++) {
    baselineSlices.push(await load({ url: baseline.url }, slice, baseline.pid))
    routeSlices.push(await load(route, slice, apiPid))
  }
  return { figure: combined(routeSlices, SECONDS), baseline: combined(baselineSlices, SECONDS) }
}

/**
 * A ratio as printed: three decimals, rounded down, so that a figure just below a goal (0.0996 against
 * 0.10) never reads as meeting it; the JSON keeps the exact value. "n/a" for none.
 */
export function shownRatio(value: number | null): string {
  return value === null ? 'n/a' : (Math.floor(value * 1000 + 1e-9) / 1000).toFixed(3)
}

function ratio({ figure, baseline }: Paired): number {
  return figure.requestsPerSecond / baseline.requestsPerSecond
}

function ceiling({ figure, baseline }: Paired): number | null {
  return cpuCeilingRatio(figure.cpuPerRequest, baseline.requestsPerSecond, CORES)
}

/** Runs the ingress bench for a selection made by `ingressSelection` (bench/run.ts checks it first). */
export async function runIngressBench({ only: ONLY, logLevel: LOG_LEVEL }: IngressSelection): Promise<void> {
  const measures = (route: Route) => ONLY === undefined || ONLY === route
  const loadBefore = loadavg()
  const teardowns: Array<() => unknown> = []
  const results: Record<string, unknown> = {}
  try {
    const hello = await startHelloWorld()
    teardowns.push(() => stop(hello.child))
    const baseline = { url: hello.url, pid: hello.child.pid }
    await load({ url: hello.url }, WARM_UP_SECONDS, baseline.pid)

    const service = await startService(
      { teardown: (fn) => teardowns.push(fn) },
      { LOG_LEVEL, RATE_LIMIT_PER_MINUTE: '100000000', RECONCILE_AFTER_MS: '15000' },
    )
    const api = await spawnServer(
      [
        ...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []),
        '--import',
        'tsx',
        'apps/api/src/server.ts',
      ],
      service.env,
      `${service.baseUrl}/readyz`,
    )
    teardowns.push(() => stop(api))
    const authorization = `Bearer ${service.token()}`

    const create: autocannon.Options = {
      url: `${service.baseUrl}/v1/events`,
      method: 'POST',
      // Each create carries a key of its own: autocannon writes a fresh id (its hyperid, unique per run)
      // over each `[<id>]` of a request
      headers: { authorization, 'content-type': 'application/json', 'idempotency-key': '[<id>]' },
      idReplacement: true,
      body: JSON.stringify({ title: 'Ingress bench', durationMinutes: 5 }),
    }
    const alone = (name: string, pair: Paired) =>
      console.log(
        `${name}: ${Math.round(pair.figure.requestsPerSecond)} req/s, ${shownRatio(ratio(pair))} × hello-world (${Math.round(pair.baseline.requestsPerSecond)} req/s), p50 ${pair.figure.p50Ms} ms, p99 ${pair.figure.p99Ms} ms, non-2xx ${pair.figure.non2xx}, CPU per request: server ${pair.figure.cpuPerRequest?.serverUs} µs, PostgreSQL ${pair.figure.cpuPerRequest?.postgresUs} µs, Redis ${pair.figure.cpuPerRequest?.redisUs} µs, load generator ${pair.figure.cpuPerRequest?.loadUs} µs (hello-world's server ${pair.baseline.cpuPerRequest?.serverUs} µs, its load generator ${pair.baseline.cpuPerRequest?.loadUs} µs), CPU ceiling ${shownRatio(ceiling(pair))} × on ${CORES} cores (API LOG_LEVEL=${LOG_LEVEL}; BENCH_INGRESS_ONLY=${ONLY}: nothing else measured or written)`,
      )
    let creates: Paired | null = null
    if (measures('create')) creates = await paired(create, api.pid, baseline)
    if (ONLY === 'create' && creates) return alone('POST /v1/events', creates)

    // The reference point: the same creates against a prototype that does only what every create
    // needs (bench/ingress-prototype.mjs), on the same database and Redis, while the API idles
    let prototype: Paired | null = null
    if (measures('prototype')) {
      const port = await freePort()
      const server = await spawnServer(
        ['bench/ingress-prototype.mjs'],
        { ...service.env, PORT: String(port) },
        `http://127.0.0.1:${port}/readyz`,
      )
      try {
        prototype = await paired(
          { ...create, url: `http://127.0.0.1:${port}/v1/events` },
          server.pid,
          baseline,
        )
      } finally {
        await stop(server)
      }
    }
    if (ONLY === 'prototype' && prototype) return alone('prototype POST /v1/events', prototype)
    if (ONLY === 'healthz') {
      return alone('GET /healthz', await paired({ url: `${service.baseUrl}/healthz` }, api.pid, baseline))
    }

    // The worker starts after the creates were measured (the API alone is under test), drains them and places
    // the event whose status is polled; it stops before the reads, which are measured against the API alone
    // too, on a calendar of placed events
    const drainStarted = performance.now()
    const store = await service.store()
    const worker = WITH_WORKER && creates ? service.startWorker({ LOG_LEVEL: 'warn' }) : null
    const drained = async () => (await store.unfinishedJobs(Date.now() + 3_600_000, 1)).length === 0
    if (worker) await waitUntil(drained, 600_000)
    const drainMs = worker ? performance.now() - drainStarted : null

    // A poll after a quiet spell: the events changed since then are the one created here
    const pollSince = new Date(Date.now() - 1).toISOString()
    const one = await service.call('POST', '/v1/events', { body: { title: 'Status', durationMinutes: 5 } })
    if (worker) {
      await waitUntil(drained, 60_000)
      await worker.stop('SIGTERM')
    }
    const status = {
      url: `${service.baseUrl}/v1/events/${one.body.event.id}/status`,
      headers: { authorization },
    }
    const list = {
      url: `${service.baseUrl}/v1/events?updatedSince=${encodeURIComponent(pollSince)}&limit=50`,
      headers: { authorization },
    }
    if (ONLY === 'status') return alone('GET /v1/events/{id}/status', await paired(status, api.pid, baseline))
    if (ONLY === 'list') return alone('GET /v1/events?updatedSince=…', await paired(list, api.pid, baseline))
    if (!creates || !prototype) throw new Error('a whole run measures the creates and the prototype')
    const statuses = await paired(status, api.pid, baseline)
    const lists = await paired(list, api.pid, baseline)

    const loadAfter = loadavg()
    const entry = (pair: Paired, goal: string) => ({
      ...pair.figure,
      ratio: ratio(pair),
      cpuCeilingRatio: ceiling(pair),
      goal,
      baseline: pair.baseline,
    })
    Object.assign(results, {
      load: {
        connections: CONNECTIONS,
        pipelining: 1,
        seconds: SECONDS,
        cores: CORES,
        apiLogLevel: LOG_LEVEL,
        slices: SLICES,
        loadavgBefore: loadBefore,
        loadavgAfter: loadAfter,
      },
      baseline: 'bare Fastify hello-world, same node_modules, measured in slices alternating with each route',
      create: { ...entry(creates, '>= 0.10, p99 < 50 ms, no non-2xx'), drainMs },
      prototype: {
        ...entry(prototype, 'reference: JWT check, one INSERT, one BullMQ add (bench/ingress-prototype.mjs)'),
        createPerPrototype: creates.figure.requestsPerSecond / prototype.figure.requestsPerSecond,
      },
      status: entry(statuses, '>= 0.30, p99 < 20 ms'),
      listUpdatedSince: { ...entry(lists, 'reported'), eventsChangedSince: 1 },
    })

    const row = (pair: Paired, goal: string) => ({
      'req/s': Math.round(pair.figure.requestsPerSecond),
      'hello-world req/s': Math.round(pair.baseline.requestsPerSecond),
      ratio: shownRatio(ratio(pair)),
      'p50 ms': pair.figure.p50Ms,
      'p99 ms': pair.figure.p99Ms,
      'non-2xx': pair.figure.non2xx,
      errors: pair.figure.errors,
      'API µs/req': pair.figure.cpuPerRequest?.serverUs,
      'PG µs/req': pair.figure.cpuPerRequest?.postgresUs,
      'Redis µs/req': pair.figure.cpuPerRequest?.redisUs,
      'autocannon µs/req': pair.figure.cpuPerRequest?.loadUs,
      'CPU ceiling': shownRatio(ceiling(pair)),
      goal,
    })
    console.log(
      `ingress: autocannon -c ${CONNECTIONS} -p 1, ${SECONDS} s per route in ${SLICES} slices alternating with hello-world; the API logs at ${LOG_LEVEL}; load average ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after; hello-world's own CPU ${statuses.baseline.cpuPerRequest?.serverUs} µs/req, its autocannon's ${statuses.baseline.cpuPerRequest?.loadUs} µs/req; CPU ceiling: the ratio ${CORES} cores could reach at the CPU a request costs (API + PG + Redis + autocannon)`,
    )
    console.table({
      'POST /v1/events (auto, Idempotency-Key)': row(creates, '≥ 0.10, p99 < 50 ms, 0 non-2xx'),
      'prototype: JWT, 1 INSERT, 1 BullMQ add': row(
        prototype,
        `reference; creates reach ${(creates.figure.requestsPerSecond / prototype.figure.requestsPerSecond).toFixed(2)} of it`,
      ),
      'GET /v1/events/{id}/status': row(statuses, '≥ 0.30, p99 < 20 ms'),
      'GET /v1/events?updatedSince=… (1 changed since)': row(lists, 'reported'),
    })
    console.log(
      drainMs === null
        ? 'no worker ran (BENCH_INGRESS_WORKER=0)'
        : `one worker, started after the creates were measured, drained them in ${(drainMs / 1000).toFixed(1)} s (and stopped before the reads)`,
    )
    writeFileSync('bench-ingress.json', `${JSON.stringify(results, null, 2)}\n`)
    console.log('written: bench-ingress.json')
  } finally {
    for (const teardown of teardowns.reverse()) await teardown()
  }
}
