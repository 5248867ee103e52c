import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { startService, waitUntil } from '@scheduler/test-helpers/service'
import autocannon from 'autocannon'

/**
 * The ingress figures (issue 11), in one run: a bare Fastify hello-world served from the API's own
 * `node_modules` (the baseline), then the real API (with one placement worker draining the queue) under
 * autocannon, 50 connections, no pipelining, BENCH_INGRESS_SECONDS each: authenticated `POST /v1/events`
 * (auto events, an `Idempotency-Key` per request), `GET /v1/events/{id}/status` and
 * `GET /v1/events?updatedSince=…` (a poll after a quiet spell: one event changed since). The API logs at `info` (request logging on, as an operator keeps it)
 * to /dev/null; the rate limit is on, with a ceiling above the load (its Redis check is paid).
 */
const SECONDS = Number(process.env.BENCH_INGRESS_SECONDS ?? 8)
const WARM_UP_SECONDS = 2
// BENCH_INGRESS_WORKER=0 measures the API alone (the queue then fills; nothing drains it)
const WITH_WORKER = process.env.BENCH_INGRESS_WORKER !== '0'
const CONNECTIONS = 50
const ROOT = fileURLToPath(new URL('..', import.meta.url))
// BENCH_INGRESS_CPU_PROF=<dir> runs the API under `node --cpu-prof` (profile written there on exit)
const CPU_PROF_DIR = process.env.BENCH_INGRESS_CPU_PROF
// BENCH_INGRESS_ONLY=create|status|list measures that one route alone (a profile of its path), prints its
// line and writes no JSON
const ONLY = process.env.BENCH_INGRESS_ONLY
const measures = (phase: 'create' | 'status' | 'list') => ONLY === undefined || ONLY === phase

interface Figure {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  non2xx: number
  errors: number
}

function figureOf(result: autocannon.Result): Figure {
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

async function load(options: autocannon.Options, seconds = SECONDS): Promise<Figure> {
  return figureOf(
    await autocannon({ connections: CONNECTIONS, pipelining: 1, duration: seconds, ...options }),
  )
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
async function helloWorld(): Promise<Figure> {
  const fastifyPath = createRequire(new URL('../apps/api/package.json', import.meta.url)).resolve('fastify')
  const port = await freePort()
  const source = `
    const app = require(${JSON.stringify(fastifyPath)})()
    app.get('/', async () => ({ hello: 'world' }))
    app.listen({ host: '127.0.0.1', port: ${port} })
    process.on('SIGTERM', () => app.close())`
  const child = await spawnServer(
    ['-e', source],
    { PATH: process.env.PATH ?? '' },
    `http://127.0.0.1:${port}/`,
  )
  try {
    const url = `http://127.0.0.1:${port}/`
    await load({ url }, WARM_UP_SECONDS)
    return await load({ url })
  } finally {
    await stop(child)
  }
}

function ratio(figure: Figure, baseline: Figure): number {
  return figure.requestsPerSecond / baseline.requestsPerSecond
}

export async function runIngressBench(): Promise<void> {
  const loadBefore = loadavg()
  const baseline = await helloWorld()

  const teardowns: Array<() => unknown> = []
  const results: Record<string, unknown> = {}
  try {
    const service = await startService(
      { teardown: (fn) => teardowns.push(fn) },
      { LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '100000000', RECONCILE_AFTER_MS: '15000' },
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
    if (WITH_WORKER) service.startWorker({ LOG_LEVEL: 'warn' })
    const authorization = `Bearer ${service.token()}`

    const create: autocannon.Options = {
      url: `${service.baseUrl}/v1/events`,
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Ingress bench', durationMinutes: 5 }),
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, 'idempotency-key': randomUUID() },
          }),
        },
      ],
    }
    const alone = (name: string, figure: Figure) =>
      console.log(
        `${name}: ${Math.round(figure.requestsPerSecond)} req/s, ${ratio(figure, baseline).toFixed(3)} × hello-world (${Math.round(baseline.requestsPerSecond)} req/s), p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms, non-2xx ${figure.non2xx} (BENCH_INGRESS_ONLY=${ONLY}: nothing else measured or written)`,
      )
    let creates: Figure | null = null
    if (measures('create')) {
      await load(create, WARM_UP_SECONDS)
      creates = await load(create)
    }
    if (ONLY === 'create' && creates) return alone('POST /v1/events', creates)

    // Reads against a calendar the worker has caught up with, so they do not compete with its drain
    const drainStarted = performance.now()
    const store = await service.store()
    if (WITH_WORKER) {
      await waitUntil(
        async () => (await store.unfinishedJobs(Date.now() + 3_600_000, 1)).length === 0,
        600_000,
      )
    }
    const drainMs = WITH_WORKER ? performance.now() - drainStarted : null

    // A poll after a quiet spell: the events changed since then are the one created here
    const pollSince = new Date(Date.now() - 1).toISOString()
    const one = await service.call('POST', '/v1/events', { body: { title: 'Status', durationMinutes: 5 } })
    const statusUrl = `${service.baseUrl}/v1/events/${one.body.event.id}/status`
    const listUrl = `${service.baseUrl}/v1/events?updatedSince=${encodeURIComponent(pollSince)}&limit=50`
    if (ONLY === 'status') {
      await load({ url: statusUrl, headers: { authorization } }, WARM_UP_SECONDS)
      return alone('GET /v1/events/{id}/status', await load({ url: statusUrl, headers: { authorization } }))
    }
    if (ONLY === 'list') {
      await load({ url: listUrl, headers: { authorization } }, WARM_UP_SECONDS)
      return alone('GET /v1/events?updatedSince=…', await load({ url: listUrl, headers: { authorization } }))
    }
    if (!creates) throw new Error(`BENCH_INGRESS_ONLY=${ONLY}: create, status or list`)
    await load({ url: statusUrl, headers: { authorization } }, WARM_UP_SECONDS)
    const status = await load({ url: statusUrl, headers: { authorization } })

    await load({ url: listUrl, headers: { authorization } }, WARM_UP_SECONDS)
    const list = await load({ url: listUrl, headers: { authorization } })

    const loadAfter = loadavg()
    Object.assign(results, {
      load: {
        connections: CONNECTIONS,
        pipelining: 1,
        seconds: SECONDS,
        loadavgBefore: loadBefore,
        loadavgAfter: loadAfter,
      },
      baseline: { what: 'bare Fastify hello-world, same node_modules', ...baseline },
      create: {
        ...creates,
        ratio: ratio(creates, baseline),
        goal: '>= 0.10, p99 < 50 ms, no non-2xx',
        drainMs,
      },
      status: { ...status, ratio: ratio(status, baseline), goal: '>= 0.30, p99 < 20 ms' },
      listUpdatedSince: {
        ...list,
        ratio: ratio(list, baseline),
        goal: 'reported',
        eventsChangedSince: 1,
      },
    })

    const row = (figure: Figure, goal: string) => ({
      'req/s': Math.round(figure.requestsPerSecond),
      'ratio to hello-world': (figure.requestsPerSecond / baseline.requestsPerSecond).toFixed(3),
      'p50 ms': figure.p50Ms,
      'p99 ms': figure.p99Ms,
      'non-2xx': figure.non2xx,
      errors: figure.errors,
      goal,
    })
    console.log(
      `ingress: autocannon -c ${CONNECTIONS} -p 1, ${SECONDS} s each; load average ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after`,
    )
    console.table({
      'baseline: Fastify hello-world': row(baseline, ''),
      'POST /v1/events (auto, Idempotency-Key)': row(creates, '≥ 0.10, p99 < 50 ms, 0 non-2xx'),
      'GET /v1/events/{id}/status': row(status, '≥ 0.30, p99 < 20 ms'),
      'GET /v1/events?updatedSince=… (1 changed since)': row(list, 'reported'),
    })
    console.log(
      drainMs === null
        ? 'no worker ran (BENCH_INGRESS_WORKER=0)'
        : `one worker ran; it drained the creates ${(drainMs / 1000).toFixed(1)} s after the load stopped`,
    )
    writeFileSync('bench-ingress.json', `${JSON.stringify(results, null, 2)}\n`)
    console.log('written: bench-ingress.json')
  } finally {
    for (const teardown of teardowns.reverse()) await teardown()
  }
}
