import { createHash } from 'node:crypto'
import type { Instant } from '@scheduler/core'
import type { IdempotencyRecord, IdempotencyWrite, Store } from '@scheduler/store'
import { IdempotencyKeyReusedProblem, ValidationProblem } from '../errors.js'

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

/** A stored answer to send again. */
export interface StoredAnswer {
  status: number
  body: unknown
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

export function requestHash(identity: RequestIdentity): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        method: identity.method.toUpperCase(),
        route: identity.route,
        params: identity.params ?? null,
        body: identity.body ?? null,
        ifMatch: identity.ifMatch ?? null,
      }),
    )
    .digest('hex')
}

/**
 * Idempotency keys for every POST, PATCH, PUT and DELETE: the same key with the same request answers the
 * stored result again; with another request it is a 422. Stores record answers atomically with the change
 * (`submit`, `putCalendar`, `createWebhook` take the `IdempotencyWrite` made by `record`).
 */
export function makeIdempotency(deps: { store: Pick<Store, 'findIdempotency'> }) {
  return {
    /**
     * The context of a request's `Idempotency-Key` header, or null without one. A key longer than 255
     * characters (or empty) is a 400.
     */
    contextOf(
      key: string | undefined,
      identity: RequestIdentity,
      calendarId: string,
    ): IdempotencyContext | null {
      if (key === undefined) return null
      if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
        throw ValidationProblem.at(
          '/headers/idempotency-key',
          `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
        )
      }
      return { calendarId, key, requestHash: requestHash(identity) }
    },

    /** The stored answer for the key, or null; a key used with another request is a 422. */
    async lookup(context: IdempotencyContext | null, now: Instant): Promise<StoredAnswer | null> {
      if (!context) return null
      const record = await deps.store.findIdempotency(context.calendarId, context.key, now)
      return record ? answerOf(context, record) : null
    },

    /** What a store records with the change; undefined without a key. */
    record(
      context: IdempotencyContext | null,
      response: StoredAnswer,
      now: Instant,
    ): IdempotencyWrite | undefined {
      if (!context) return undefined
      return { key: context.key, requestHash: context.requestHash, response, createdAt: now }
    },

    /** A stored record met on write (a concurrent request with the same key won): its answer, or 422. */
    answerOf,
  }
}

function answerOf(context: IdempotencyContext, record: IdempotencyRecord): StoredAnswer {
  if (record.requestHash !== context.requestHash) throw new IdempotencyKeyReusedProblem()
  return { status: record.response.status, body: record.response.body }
}

export type Idempotency = ReturnType<typeof makeIdempotency>
