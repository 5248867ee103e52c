import fc from 'fast-check'
import { type Answer, makeAnswerChecks } from './answer-checks.js'
import { type Json, type Operation, operationsOf } from './openapi-operations.js'
import {
  encodeText,
  type Plan,
  type PoolName,
  planArbitrary,
  type Tokens,
  type Value,
} from './request-arbitraries.js'
import { changedTables, openStoreDigest } from './store-digest.js'

/** A request as `app.inject()` takes it. */
export interface InjectOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  headers?: Record<string, string>
  payload?: string | Buffer | Record<string, unknown>
}

/** What the fuzzer needs of the app: `app.inject()`. */
export interface FuzzTarget {
  inject(options: InjectOptions): Promise<Answer>
}

export interface FuzzOptions {
  seed: number
  /** Cases in all, spread evenly over the operations. */
  runs: number
  storeUrl: string
  tokens: Tokens
  log?: (line: string) => void
  /** Only these operations (by `operationId`), e.g. to replay a failure; the runs per operation stay the same. */
  only?: string[]
}

export interface Failure {
  operationId: string
  /** Replays it: `FUZZ_SEED=<seed>` reruns every operation; `path` names the shrunk case of this one. */
  seed: number
  path: string | undefined
  faults: string
  /** The shrunk request, as sent. */
  request: string
}

export interface FuzzReport {
  seed: number
  operations: number
  /** Generated cases (shrinking steps not included). */
  cases: number
  /** Requests sent, shrinking and fixture set-up included. */
  requests: number
  statuses: Map<number, number>
  failures: Failure[]
}

type Pools = Record<PoolName, string[]>

const HANDED_OUT: Record<string, PoolName> = {
  nextCursor: 'cursor',
  syncToken: 'syncToken',
  token: 'feedSecret',
}

const ID_POOLS: [prefix: string, pool: PoolName][] = [
  ['evt_', 'event'],
  ['job_', 'job'],
  ['att_', 'attachment'],
  ['whk_', 'webhook'],
  ['ftk_', 'feedToken'],
]

/** Every `id` in an answer's JSON body, into the pool its prefix names. */
function harvest(pools: Pools, body: unknown): void {
  if (Array.isArray(body)) for (const item of body) harvest(pools, item)
  else if (body !== null && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      const handedOut = HANDED_OUT[key]
      if (handedOut !== undefined && typeof value === 'string') {
        const pool = pools[handedOut]
        pool.push(value)
        // The latest few: older cursors and tokens are as good, a long list only slows the run
        if (pool.length > 50) pool.shift()
      } else if (key === 'id' && typeof value === 'string') {
        const pool = ID_POOLS.find(([prefix]) => value.startsWith(prefix))?.[1]
        if (pool !== undefined && !pools[pool].includes(value)) pools[pool].push(value)
      } else harvest(pools, value)
    }
  }
}

function hashSeed(seed: number, text: string): number {
  let hash = seed | 0
  for (let index = 0; index < text.length; index++)
    hash = Math.imul(hash ^ text.charCodeAt(index), 16_777_619)
  return hash
}

/** The `index`-th (modulo) of `pool`, or a stand-in when it is empty. */
function pick(pools: Pools, pool: PoolName, index: number): string {
  const values = pools[pool]
  return values.length === 0 ? 'missing' : (values[index % values.length] ?? 'missing')
}

/** The query string of `plan`, with values the API handed out picked now, padded past the limit if asked. */
function queryString(plan: Plan, pools: Pools): string {
  // A pooled value only once the API has handed one out
  const pooledQuery = plan.pooledQuery.filter(([, pool]) => pools[pool].length > 0)
  const pooled = new Set(pooledQuery.map(([name]) => name))
  const pairs = [
    ...plan.query
      .filter(([name]) => !pooled.has(name))
      .map(([name, value]) => `${encodeText(name)}=${encodeText(value)}`),
    ...pooledQuery.map(([name, pool, index]) => `${name}=${encodeText(pick(pools, pool, index))}`),
  ]
  const parts = [...pairs, ...plan.rawQuery]
  if (plan.padding > 0) parts.push(`pad=${'p'.repeat(plan.padding)}`)
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

function multipartPayload(plan: Plan): { payload: Buffer; contentType: string } | null {
  const body = plan.body
  if (body === null || !('multipart' in body)) return null
  const chunks: string[] = []
  for (const part of body.multipart) {
    const disposition = [`form-data; name="${part.name}"`]
    if (part.filename !== undefined) disposition.push(`filename="${part.filename}"`)
    chunks.push(`--${body.boundary}\r\nContent-Disposition: ${disposition.join('; ')}\r\n`)
    if (part.contentType !== undefined) chunks.push(`Content-Type: ${part.contentType}\r\n`)
    chunks.push(`\r\n${part.data}\r\n`)
  }
  chunks.push(`--${body.boundary}--\r\n`)
  const declared =
    body.declaredBoundary === undefined || body.declaredBoundary === null
      ? body.boundary
      : body.declaredBoundary
  return {
    payload: Buffer.from(chunks.join(''), 'utf8'),
    contentType: declared === '' ? 'multipart/form-data' : `multipart/form-data; boundary=${declared}`,
  }
}

/** Runs the contract fuzzer against `app` and reports what it sent, what came back and what was wrong. */
export async function fuzzContract(app: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => {})
  const auth = { authorization: `Bearer ${options.tokens.valid}` }
  const documentAnswer = await app.inject({ method: 'GET', url: '/openapi.json' })
  const document = JSON.parse(documentAnswer.body) as Json
  const operations = operationsOf(document)
  const faultsOf = makeAnswerChecks(document)
  const store = await openStoreDigest(options.storeUrl)
  const pools: Pools = {
    event: [],
    job: [],
    attachment: [],
    webhook: [],
    feedToken: [],
    email: ['ann@example.com'],
    cursor: [],
    syncToken: [],
    feedSecret: [],
  }
  // An attachment's event, so that `/v1/events/{id}/attachments/{attachmentId}` can name a pair that exists
  const attachmentEvent = new Map<string, string>()
  const noteAttachments = (eventId: string, body: unknown) => {
    for (const match of JSON.stringify(body).matchAll(/"(att_[^"]+)"/g)) {
      if (match[1] !== undefined) attachmentEvent.set(match[1], eventId)
    }
  }
  const report: FuzzReport = {
    seed: options.seed,
    operations: operations.length,
    cases: 0,
    requests: 0,
    statuses: new Map(),
    failures: [],
  }
  const send = async (request: InjectOptions) => {
    report.requests++
    return app.inject(request)
  }

  /** A fresh event (with its job), attachment, webhook and feed token, so that ids name live resources. */
  const replenish = async () => {
    const before = await store.digest()
    const created = await send({
      method: 'POST',
      url: '/v1/events',
      headers: auth,
      payload: { title: 'Fuzz fixture', durationMinutes: 30 },
    })
    harvest(pools, JSON.parse(created.body))
    const event = pools.event.at(-1)
    if (event !== undefined) {
      const boundary = 'fixtureBoundary'
      const attached = await send({
        method: 'POST',
        url: `/v1/events/${event}/attachments`,
        headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`,
      })
      harvest(pools, JSON.parse(attached.body))
      noteAttachments(event, JSON.parse(attached.body))
    }
    for (const [url, payload] of [
      ['/v1/webhooks', { url: 'https://hooks.example.com/scheduler' }],
      ['/v1/calendar/feed-tokens', { label: 'fixture' }],
    ] as const) {
      const answer = await send({ method: 'POST', url, headers: auth, payload })
      if (answer.statusCode < 300) harvest(pools, JSON.parse(answer.body))
    }
    // A cursor (a page of one) and a sync token (on a last page)
    for (const url of ['/v1/events?limit=1', '/v1/events?limit=500']) {
      const page = await send({ method: 'GET', url, headers: auth })
      if (page.statusCode === 200) harvest(pools, JSON.parse(page.body))
    }
    // The fixtures are writes: a digest that did not see them would not see a 4xx's either
    if ((await store.digest()) === before)
      throw new Error('the store digest did not change when fixtures were created')
  }

  const resolveValue = (value: Value): string =>
    'text' in value ? value.text : encodeURIComponent(pick(pools, value.pool, value.index))

  /** The request `plan` stands for, with pooled ids resolved now. */
  const requestOf = async (operation: Operation, plan: Plan): Promise<InjectOptions> => {
    const resolved = Object.fromEntries(
      Object.entries(plan.path).map(([name, value]) => [name, resolveValue(value)]),
    )
    const attachment = plan.path.attachmentId
    const owner =
      attachment && 'pool' in attachment && plan.path.id && 'pool' in plan.path.id
        ? attachmentEvent.get(pick(pools, attachment.pool, attachment.index))
        : undefined
    if (owner !== undefined) resolved.id = encodeURIComponent(owner)
    const path = operation.path.replace(/\{([^}]+)\}/g, (_match, name: string) => resolved[name] ?? 'x')
    const headers: Record<string, string> = { ...plan.headers }
    if (plan.ifMatch === 'current') {
      const event = plan.path.id
      if (event !== undefined && operation.path.startsWith('/v1/events/')) {
        const current = await send({ method: 'GET', url: `/v1/events/${resolveValue(event)}`, headers: auth })
        const etag = current.headers.etag
        if (typeof etag === 'string') headers['if-match'] = etag
      }
    } else if (plan.ifMatch !== null) headers['if-match'] = plan.ifMatch
    const request: InjectOptions = {
      method: operation.method as InjectOptions['method'],
      url: `${path}${queryString(plan, pools)}`,
      headers,
    }
    const body = plan.body
    if (body === null) return request
    if ('json' in body) request.payload = JSON.stringify(body.json) ?? 'null'
    else if ('raw' in body) request.payload = Buffer.from(body.raw, body.encoding ?? 'utf8')
    else if ('oversized' in body) request.payload = Buffer.alloc(body.oversized, 0x20)
    else {
      const multipart = multipartPayload(plan)
      if (multipart) {
        request.payload = multipart.payload
        headers['content-type'] = multipart.contentType
      }
    }
    return request
  }

  const describe = (request: InjectOptions): string => {
    const payload = request.payload
    const text =
      payload === undefined ? '' : Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload)
    const short = (value: string) =>
      value.length > 300 ? `${value.slice(0, 300)}… (${value.length} chars)` : value
    const headers = Object.entries((request.headers ?? {}) as Record<string, string>)
      .map(
        ([name, value]) =>
          `${name}: ${short(name === 'authorization' ? value.replace(options.tokens.valid, '<valid token>') : value)}`,
      )
      .join('\n  ')
    return `${request.method} ${short(String(request.url))}\n  ${headers}\n  body: ${JSON.stringify(short(text))}`
  }

  const perOperation = Math.max(1, Math.ceil(options.runs / operations.length))
  try {
    for (const operation of operations) {
      if (options.only !== undefined && !options.only.includes(operation.operationId)) continue
      await replenish()
      const seed = hashSeed(options.seed, operation.operationId)
      const statuses = new Map<number, number>()
      let shrinking = false
      let lastRequest = ''
      const property = fc.asyncProperty(planArbitrary(operation, options.tokens), async (plan) => {
        const request = await requestOf(operation, plan)
        lastRequest = describe(request)
        const before = await store.digest()
        let answer: Answer
        try {
          answer = await send(request)
        } catch (error) {
          // Refused by light-my-request before it reached the server (a header Node would not send)
          fc.pre(false)
          throw error
        }
        if (!shrinking) {
          report.cases++
          statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1)
          report.statuses.set(answer.statusCode, (report.statuses.get(answer.statusCode) ?? 0) + 1)
        }
        const faults = faultsOf(operation, answer)
        if (answer.statusCode >= 400 && answer.statusCode < 500) {
          const changed = changedTables(before, await store.digest())
          if (changed.length > 0)
            faults.push(`a ${answer.statusCode} that changed the store: ${changed.join(', ')}`)
        }
        if (
          answer.statusCode < 300 &&
          answer.body.length > 0 &&
          String(answer.headers['content-type']).includes('json')
        ) {
          const body = JSON.parse(answer.body)
          harvest(pools, body)
          const eventId = operation.path.includes('/attachments') ? request.url.split('/')[3] : undefined
          if (eventId !== undefined) noteAttachments(decodeURIComponent(eventId), body)
        }
        if (faults.length > 0) {
          shrinking = true
          throw new Error(`${faults.join('; ')}\n  answer: ${answer.statusCode} ${answer.body.slice(0, 400)}`)
        }
      })
      const result = await fc.check(property, {
        seed,
        numRuns: perOperation,
        endOnFailure: false,
        maxSkipsPerRun: 100,
      })
      if (result.failed) {
        const error =
          result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)
        report.failures.push({
          operationId: operation.operationId,
          seed: result.seed,
          path: result.counterexamplePath ?? undefined,
          faults: error,
          request: result.counterexample
            ? describe(await requestOf(operation, result.counterexample[0]))
            : lastRequest,
        })
      }
      const failure = report.failures.at(-1)
      if (failure?.operationId === operation.operationId) log(formatFailure(failure))
      const counts = [...statuses.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}×${count}`)
      log(
        `${operation.operationId}: ${result.numRuns} cases${result.failed ? ' FAILED' : ''} (${counts.join(' ')})`,
      )
    }
  } finally {
    await store.close()
  }
  return report
}

/** The one-line summary: cases, per-status counts, server errors, failures. */
export function summary(report: FuzzReport): string {
  const statuses = [...report.statuses.entries()].sort(([a], [b]) => a - b)
  const serverErrors = statuses.filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0)
  return (
    `fuzz: seed ${report.seed}, ${report.operations} operations, ${report.cases} cases, ${report.requests} requests; ` +
    `statuses ${statuses.map(([status, count]) => `${status}=${count}`).join(' ')}; 5xx = ${serverErrors}; ` +
    `failures = ${report.failures.length}`
  )
}

/** A failure as printed: the operation, how to replay it, what was wrong, the shrunk request. */
export function formatFailure(failure: Failure): string {
  return (
    `${failure.operationId} (seed ${failure.seed}, path ${failure.path ?? '-'}):\n  ${failure.faults}\n` +
    `  shrunk request:\n  ${failure.request.replaceAll('\n', '\n  ')}`
  )
}
