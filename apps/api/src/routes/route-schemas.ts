import { ProblemSchema, ref } from '@scheduler/contract'
import { Type } from '@sinclair/typebox'

/** What each problem status means, as the OpenAPI document says it. */
export const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid request (body, query, parameters or headers), including text that holds NUL (U+0000) or an unpaired surrogate; `errors` lists each invalid field',
  401: 'Missing or invalid bearer token',
  403: 'The token lacks the scope this operation needs',
  404: 'No such resource',
  408: 'The request was not received within REQUEST_TIMEOUT_MS (its headers within HEADERS_TIMEOUT_MS); the connection is closed',
  409: 'The change is not allowed in the event’s current state',
  410: 'The sync token is expired or unknown (`type` ends in `sync-token-expired`): list all events again',
  412: '`If-Match` does not match the current version',
  413: 'The body is larger than the limit',
  414: 'The URL is longer than 8192 characters',
  415: 'The body is not `application/json`',
  422: 'Semantically invalid (e.g. a start in the past, an instant outside the supported range 1970-01-01T00:00:00Z–9999-12-31T00:00:00Z), or an idempotency key reused with another request',
  429: 'Rate limited; see `Retry-After`',
  431: 'The request line and headers are larger than 16 KiB',
  503: 'A dependency (Redis, the store) is unavailable; see `Retry-After`',
} as const

export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS

export function problemResponse(status: ProblemStatus) {
  return {
    description: PROBLEM_DESCRIPTIONS[status],
    content: { 'application/problem+json': { schema: ref(ProblemSchema) } },
  }
}

/** Response schemas for the problems a route can answer. */
export function problemResponses<S extends ProblemStatus>(...statuses: S[]) {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)])) as {
    [K in S]: ReturnType<typeof problemResponse>
  }
}

export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 255, description: 'The resource id' }) },
  { additionalProperties: false },
)

const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 255,
  description:
    'The same key with the same request within 24 h answers the same result; with another request 422',
})

/** Headers of the routes that change something. */
export const ChangeHeaders = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) })

/** Headers of the routes that change an existing event. */
export const EventChangeHeaders = Type.Object({
  'idempotency-key': Type.Optional(IdempotencyKey),
  'if-match': Type.Optional(
    Type.String({
      pattern: '^\\s*(\\*|"\\d{1,15}"|\\d{1,15})\\s*$',
      description: 'The version the change expects, `"3"` (a bare `3` is accepted too); otherwise 412',
    }),
  ),
})

/** The `If-Match` header as a version, `*` or null (absent). */
export function preconditionOf(header: string | undefined): number | '*' | null {
  if (header === undefined) return null
  const value = header.trim().replace(/^"|"$/g, '')
  return value === '*' ? '*' : Number(value)
}
