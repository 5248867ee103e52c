import { hash } from 'node:crypto'
import type { Instant } from '@scheduler/core'
import type { IdempotencyRecord, IdempotencyWrite, IdempotentResult, Store } from '@scheduler/store'
import { IdempotencyKeyReusedError, UnavailableError } from './domain-errors.js'

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255

/** An `Idempotency-Key` and the hash of the request it came with. */
export interface IdempotencyContext {
  calendarId: string
  key: string
  requestHash: string
}

/** The parts of a request that make it "the same request" for a key. */
export interface RequestIdentity {
  method: string
  /** The route pattern, e.g. `/v1/events/:id`. */
  route: string
  params: unknown
  body: unknown
  /** Preconditions are part of the request: the same body with another `If-Match` is another request. */
  ifMatch?: string | undefined
}

/** A recorded answer, sent again as it was; services carry it without looking inside. */
export interface StoredAnswer {
  status: number
  body: unknown
}

/**
 * A write asked for under an idempotency key: the key, and the answer to record for the write's result
 * (the caller's, e.g. the HTTP layer's, presentation of it).
 */
export interface IdempotentRequest<R> {
  context: IdempotencyContext
  answerOf(result: R): StoredAnswer
}

/**
 * A write's outcome: its result, or the answer recorded for an earlier request with the same key, in which
 * case nothing was written.
 */
export type Idempotent<R> = { replayed: false; value: R } | { replayed: true; answer: StoredAnswer }

/** How `run` treats the key before writing. */
export interface RunOptions {
  /**
   * `true` (the default): the key is looked up before `write` runs. `false`: for a write whose store call
   * claims the key itself (a replay comes back from the write); the key is then looked up only when `write`
   * refuses the request, so that a retry of an accepted request still gets the first answer. Saves a read
   * per write on the hot path.
   */
  lookupFirst?: boolean
}

/** A store write's result with its `done` value mapped; a replay stays a replay. */
export function mapDone<A, B>(result: IdempotentResult<A>, map: (value: A) => B): IdempotentResult<B> {
  return result.kind === 'done' ? { kind: 'done', value: map(result.value) } : result
}

/** JSON with object keys sorted at every level, so key order never changes the hash. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
}

/** The SHA-256 (hex) of the request's canonical JSON: one-shot `crypto.hash`, no Hash object per request. */
export function requestHash(identity: RequestIdentity): string {
  return hash(
    'sha256',
    canonicalJson({
      method: identity.method.toUpperCase(),
      route: identity.route,
      params: identity.params ?? null,
      body: identity.body ?? null,
      ifMatch: identity.ifMatch ?? null,
    }),
  )
}

/** A key is 1 to 255 characters (the routes' header schema says so too). */
export function isIdempotencyKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH
}

/** The stored answer of a record met for `context`; a record of another request is `IdempotencyKeyReusedError`. */
function answerOf(context: IdempotencyContext, record: IdempotencyRecord): StoredAnswer {
  if (record.requestHash !== context.requestHash) throw new IdempotencyKeyReusedError()
  return { status: record.response.status, body: record.response.body }
}

/**
 * Idempotency keys for every write (POST, PATCH, PUT, DELETE): the same key with the same request answers
 * the recorded result again and writes nothing; with another request it is `IdempotencyKeyReusedError`.
 */
export function makeIdempotentWrites(deps: { store: Pick<Store, 'findIdempotency'> }) {
  return {
    /**
     * The idempotency protocol, its one implementation: looks the key up (a recorded answer is replayed),
     * else runs `write` with `record`, which makes what the store records atomically with the change; a
     * store that met the key on write (a concurrent request with it won) answers its record, replayed too.
     * Without a request (no key) `write` just runs and `record` answers undefined. `now` is the write's
     * instant: records live 24 h from it. `options.lookupFirst: false` skips the first lookup (see
     * `RunOptions`).
     */
    async run<R>(
      request: IdempotentRequest<R> | null,
      now: Instant,
      write: (record: (result: R) => IdempotencyWrite | undefined) => Promise<IdempotentResult<R>>,
      options: RunOptions = {},
    ): Promise<Idempotent<R>> {
      const lookupFirst = options.lookupFirst ?? true
      const recorded = async (): Promise<Idempotent<R> | undefined> => {
        if (!request) return undefined
        const { calendarId, key } = request.context
        const stored = await deps.store.findIdempotency(calendarId, key, now)
        return stored ? { replayed: true, answer: answerOf(request.context, stored) } : undefined
      }
      if (lookupFirst) {
        const replay = await recorded()
        if (replay) return replay
      }
      let result: IdempotentResult<R>
      try {
        result = await write((value) =>
          request
            ? {
                key: request.context.key,
                requestHash: request.context.requestHash,
                response: request.answerOf(value),
                createdAt: now,
              }
            : undefined,
        )
      } catch (error) {
        if (lookupFirst || error instanceof UnavailableError) throw error
        const replay = await recorded()
        if (replay) return replay
        throw error
      }
      if (result.kind === 'done') return { replayed: false, value: result.value }
      if (!request) throw new Error('The store answered a replay to a write without an idempotency key')
      return { replayed: true, answer: answerOf(request.context, result.record) }
    },
  }
}

export type IdempotentWrites = ReturnType<typeof makeIdempotentWrites>
