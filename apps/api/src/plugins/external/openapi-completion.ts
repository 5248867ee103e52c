import type { SwaggerTransformObject } from '@fastify/swagger'
import { PROBLEM_DESCRIPTIONS, type ProblemStatus } from '../../routes/route-schemas.js'

/**
 * What every answer carries and what any request can meet, written into the generated OpenAPI document once
 * rather than into every route (they come from app-wide hooks and from the HTTP layer, not from a route):
 *
 * - the headers of every answer (`X-Request-Id`, `Cache-Control`, `X-Content-Type-Options`), of 401/403
 *   (`WWW-Authenticate`), of 429/503 (`Retry-After`), and `Idempotent-Replayed` on the success answers of
 *   operations that take an `Idempotency-Key`;
 * - the refusals made before any route runs: 400 (malformed URL or HTTP), 408 (request timeout), 414 (URL
 *   too long), 431 (headers too large) on every operation, and 413/415 on every operation that may carry a
 *   body;
 * - `security: []` on the operations that declare no security requirement (the public ones).
 */

type Json = Record<string, unknown>

interface Operation {
  parameters?: { in?: string; name?: string }[]
  responses?: Record<string, Json>
  security?: unknown[]
}

const PROBLEM_REF = '#/components/schemas/Problem'

const HEADERS: Record<string, Json> = {
  XRequestId: {
    description:
      'The request id: the client’s own `X-Request-Id` when it is 1–128 characters of `A-Za-z0-9._:-`, ' +
      'else a new UUID. Problems carry it as `requestId`; the logs are keyed by it.',
    schema: { type: 'string' },
  },
  CacheControl: {
    description: 'Always `no-store`: answers carry calendar data and change with the clock.',
    schema: { type: 'string', enum: ['no-store'] },
  },
  XContentTypeOptions: {
    description: 'Always `nosniff`.',
    schema: { type: 'string', enum: ['nosniff'] },
  },
  WWWAuthenticate: {
    description:
      'An RFC 6750 Bearer challenge: `Bearer realm="scheduler-api"`, with `error` (`invalid_request`, ' +
      '`invalid_token`, `insufficient_scope`) and, for a 403, the `scope` needed.',
    schema: { type: 'string' },
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1 },
  },
  IdempotentReplayed: {
    description:
      '`true` when this is the recorded answer to an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
}

const EVERY_ANSWER = {
  'X-Request-Id': { $ref: '#/components/headers/XRequestId' },
  'Cache-Control': { $ref: '#/components/headers/CacheControl' },
  'X-Content-Type-Options': { $ref: '#/components/headers/XContentTypeOptions' },
}

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete'])

const HTTP_LAYER_DESCRIPTIONS: Partial<Record<ProblemStatus, string>> = {
  400: 'Invalid request: a malformed URL (e.g. a percent-encoding that is not UTF-8) or malformed HTTP',
}

const NO_BODY_DESCRIPTIONS: Partial<Record<ProblemStatus, string>> = {
  413: 'This operation takes no body; one larger than the body limit is refused unread',
  415: 'This operation takes no body; an empty body of any type is accepted, a non-empty one must be JSON',
}

function problem(description: string): Json {
  return { description, content: { 'application/problem+json': { schema: { $ref: PROBLEM_REF } } } }
}

function completeOperation(method: string, operation: Operation): void {
  operation.security ??= []
  operation.responses ??= {}
  const responses = operation.responses
  const takesBody = 'requestBody' in operation
  const always: ProblemStatus[] = [400, 408, 414, 431]
  for (const status of always) {
    responses[status] ??= problem(HTTP_LAYER_DESCRIPTIONS[status] ?? PROBLEM_DESCRIPTIONS[status])
  }
  if (BODY_METHODS.has(method)) {
    for (const status of [413, 415] as const) {
      responses[status] ??= problem(
        (takesBody ? undefined : NO_BODY_DESCRIPTIONS[status]) ?? PROBLEM_DESCRIPTIONS[status],
      )
    }
  }
  const idempotent = operation.parameters?.some(
    (parameter) => parameter.in === 'header' && parameter.name?.toLowerCase() === 'idempotency-key',
  )
  for (const [status, response] of Object.entries(responses)) {
    const headers: Json = { ...(response.headers as Json | undefined), ...EVERY_ANSWER }
    if (status === '401' || status === '403') {
      headers['WWW-Authenticate'] = { $ref: '#/components/headers/WWWAuthenticate' }
    }
    if (status === '429' || status === '503')
      headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' }
    if (idempotent && status.startsWith('2')) {
      headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' }
    }
    response.headers = headers
  }
}

/** `@fastify/swagger`'s `transformObject`: the generated document, completed as described above. */
export const completeDocument: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject
  const document = documentObject.openapiObject as Json
  document.components ??= {}
  const components = document.components as Json
  components.headers = { ...(components.headers as Json | undefined), ...HEADERS }
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>
  for (const item of Object.values(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method === 'parameters' || typeof operation !== 'object') continue
      completeOperation(method, operation)
    }
  }
  return documentObject.openapiObject
}
