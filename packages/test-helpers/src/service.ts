import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { openStore, type Store } from '@scheduler/store'
import { createSigner } from 'fast-jwt'
import { createFreshStoreDatabase as createFreshDatabase } from './fresh-database.js'
import { deleteKeys, REDIS_URL } from './redis-keys.js'

// The repository root: packages/test-helpers/src is three levels down.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const ALL_SCOPES = ['events:read', 'events:write', 'webhooks:manage', 'calendar:admin']

interface TestLike {
  teardown: (fn: () => unknown) => void
}

export interface Answer<T = JsonObject> {
  status: number
  headers: Headers
  body: T
}
// biome-ignore lint/suspicious/noExplicitAny: test answers are inspected field by field
export type JsonObject = Record<string, any>

/** A running process of ours (API or worker), stopped in teardown. */
export interface ProcessHandle {
  child: ChildProcess
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * The real service for an end-to-end test: a fresh PostgreSQL database, a fresh Redis key prefix, the API
 * as a child process (`apps/api/src/server.ts`), workers on demand (`apps/worker/src/main.ts`), and a
 * client that talks HTTP to it. Everything is removed in teardown.
 */
export async function startService(t: TestLike, env: Record<string, string> = {}) {
  const database = await createFreshDatabase({ create: false })
  const prefix = `e2e_${randomBytes(5).toString('hex')}`
  const secret = randomBytes(32).toString('hex')
  const port = await freePort()
  const serviceEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'error',
    REDIS_URL,
    REDIS_PREFIX: prefix,
    STORE_URL: database.url,
    JWT_SECRET: secret,
    WORKER_METRICS_PORT: '0',
    RECONCILE_AFTER_MS: '1000',
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    WEBHOOK_RETRY_SCHEDULE: '200ms,400ms',
    RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  }
  const processes: ProcessHandle[] = []
  const inspector: { store?: Store } = {}

  t.teardown(async () => {
    await Promise.all(processes.map((handle) => handle.stop('SIGTERM')))
    await inspector.store?.close()
    await deleteKeys(prefix)
    await database.drop()
  })

  const baseUrl = `http://127.0.0.1:${port}`
  const sign = createSigner({ key: secret, algorithm: 'HS256' })

  function token(scopes: string[] = ALL_SCOPES): string {
    return sign({
      sub: 'auto-event-manager',
      iss: 'auto-event-manager',
      aud: 'scheduler-api',
      scope: scopes.join(' '),
      exp: Math.floor(Date.now() / 1000) + 3600,
    })
  }

  async function call<T = JsonObject>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers }
    const bearer = options.token === undefined ? token() : options.token
    if (bearer) headers.authorization = `Bearer ${bearer}`
    if (options.body !== undefined) headers['content-type'] ??= 'application/json'
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T }
  }

  function launch(entry: string, extraEnv: Record<string, string> = {}): ProcessHandle {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      env: { ...serviceEnv, ...extraEnv },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const exited = once(child, 'exit').then(([code]) => code as number | null)
    const handle: ProcessHandle = {
      child,
      async stop(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal)
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        const code = await exited
        clearTimeout(timer)
        return code
      },
    }
    processes.push(handle)
    return handle
  }

  const service = {
    baseUrl,
    env: serviceEnv,
    prefix,
    token,
    call,
    /** Starts the API and waits until /readyz answers 200. */
    async startApi(extraEnv: Record<string, string> = {}): Promise<ProcessHandle> {
      const handle = launch('apps/api/src/server.ts', extraEnv)
      await waitUntil(async () => {
        if (handle.child.exitCode !== null) throw new Error('the API exited during start-up')
        const answer = await fetch(`${baseUrl}/readyz`).catch(() => null)
        return answer?.status === 200
      }, 90_000)
      return handle
    },
    /** Starts a worker process (it is ready once its first job is taken; callers poll job states). */
    startWorker(extraEnv: Record<string, string> = {}): ProcessHandle {
      return launch('apps/worker/src/main.ts', extraEnv)
    },
    /** A store client on the same database, to inspect what the service wrote. */
    async store(): Promise<Store> {
      inspector.store ??= await openStore(database.url)
      return inspector.store
    },
    /** Polls GET /v1/jobs/{id} until the job is finished. */
    async waitForJob(jobId: string, timeoutMs = 20_000): Promise<JsonObject> {
      let job: JsonObject = {}
      await waitUntil(async () => {
        job = (await call('GET', `/v1/jobs/${jobId}`)).body
        return job.state === 'completed' || job.state === 'failed'
      }, timeoutMs)
      return job
    },
    /** Creates an event and waits for its job; answers the event as it is then. */
    async createAndPlace(body: JsonObject): Promise<JsonObject> {
      const created = await call('POST', '/v1/events', { body })
      if (created.status !== 202)
        throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`)
      await service.waitForJob(created.body.job.id)
      return (await call('GET', `/v1/events/${created.body.event.id}`)).body
    },
  }
  return service
}

export type Service = Awaited<ReturnType<typeof startService>>

/** Polls `check` every 50 ms until it is true; throws after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(50)
  }
  throw new Error(`condition not met within ${timeoutMs} ms`)
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}
