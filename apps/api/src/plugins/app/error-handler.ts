import type { ProblemResource } from '@scheduler/contract'
import {
  DuplicateIdError,
  InvalidCursorError,
  StoreUnavailableError,
  SyncTokenExpiredError,
} from '@scheduler/store'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import {
  BadRequestProblem,
  ConflictProblem,
  type FieldError,
  HttpProblem,
  IdempotencyKeyReusedProblem,
  NotFoundProblem,
  PayloadTooLargeProblem,
  PreconditionFailedProblem,
  ServiceUnavailableProblem,
  SyncTokenExpiredProblem,
  UnprocessableProblem,
  UnsupportedMediaTypeProblem,
  ValidationProblem,
} from '../../errors.js'
import {
  ConflictError,
  IdempotencyKeyReusedError,
  type InputError,
  InvalidInputError,
  issueSummary,
  MalformedInputError,
  NotFoundError,
  PreconditionFailedError,
  UnavailableError,
} from '../../services/domain-errors.js'

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
}

/** Fastify validation errors as field errors: JSON pointers into the request part. */
export function fieldErrorsOf(validation: AjvError[], context: string | undefined): FieldError[] {
  const part = PART_NAMES[context ?? 'body'] ?? 'body'
  return validation.map((error) => {
    let path = `/${part}${error.instancePath}`
    let message = error.message ?? 'is invalid'
    if (error.keyword === 'additionalProperties') {
      path += `/${escapePointer(String(error.params.additionalProperty))}`
      message = 'is not a known field'
    } else if (error.keyword === 'required') {
      path += `/${escapePointer(String(error.params.missingProperty))}`
      message = 'is required'
    } else if (error.keyword === 'format' && error.params.format === 'date-time') {
      message = 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T14:00:00Z'
    } else if (error.keyword === 'format' && error.params.format === 'date') {
      message = 'must be a date YYYY-MM-DD'
    }
    return { path, message }
  })
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

/**
 * A service's refused input as field errors: its issues point into the input, which the services take from
 * the request body, so each pointer is put under `/body`.
 */
function inputProblemOf<P extends HttpProblem>(
  error: InputError,
  Problem: new (detail: string, errors?: FieldError[]) => P,
): P {
  const errors = error.issues.map((issue) => ({ path: `/body${issue.field}`, message: issue.message }))
  const detail = error.summary ?? issueSummary(errors.map((e) => ({ field: e.path, message: e.message })))
  return new Problem(detail, errors)
}

/** The services' domain errors as the problems they are answered with. */
function domainProblemOf(error: unknown): HttpProblem | null {
  if (error instanceof NotFoundError) return new NotFoundProblem(error.message)
  if (error instanceof ConflictError) return new ConflictProblem(error.message)
  if (error instanceof PreconditionFailedError) return new PreconditionFailedProblem(error.message)
  if (error instanceof InvalidInputError) return inputProblemOf(error, UnprocessableProblem)
  if (error instanceof MalformedInputError) return inputProblemOf(error, ValidationProblem)
  if (error instanceof IdempotencyKeyReusedError) return new IdempotencyKeyReusedProblem()
  if (error instanceof UnavailableError) return new ServiceUnavailableProblem(error.message)
  return null
}

const INTERNAL = 'The server could not complete the request; the request id identifies it in the logs'

/**
 * Maps anything thrown by a route, hook, plugin or service to the problem to answer: HTTP problems as they
 * are, the services' domain errors and the store's errors by their class. Dependencies are told apart by
 * the error's source (the store adapter's `StoreUnavailableError`, the intake's `QueueUnavailableError`),
 * never by a socket error code that any connection may raise.
 */
export function toProblem(error: unknown): HttpProblem | null {
  if (error instanceof HttpProblem) return error
  const domain = domainProblemOf(error)
  if (domain) return domain
  if (error instanceof StoreUnavailableError)
    return new ServiceUnavailableProblem('The calendar store is unavailable')
  if (error instanceof InvalidCursorError) return ValidationProblem.at('/query/cursor', error.message)
  if (error instanceof DuplicateIdError) return new ConflictProblem('A record with this id exists already')
  if (error instanceof SyncTokenExpiredError) {
    return new SyncTokenExpiredProblem(`${error.message}: list all events again for a new token`)
  }
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string }
  if (Array.isArray(fastifyError.validation)) {
    const errors = fieldErrorsOf(fastifyError.validation as AjvError[], fastifyError.validationContext)
    return new ValidationProblem(errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeProblem('The request body is larger than the limit')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaTypeProblem('Send the body as application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new BadRequestProblem('The body is empty but declared as JSON')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new BadRequestProblem('The body is not valid JSON')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BadRequestProblem('The body is not as long as its Content-Length says')
  }
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Other client errors raised by Fastify itself (bad URL, invalid content length, malformed JSON, …)
    if (status === 413) return new PayloadTooLargeProblem('The request body is larger than the limit')
    if (status === 415) return new UnsupportedMediaTypeProblem('Send the body as application/json')
    return new BadRequestProblem(fastifyError.message ?? 'The request is malformed')
  }
  return null
}

/**
 * True when the request itself failed on its socket: the client closed (or reset) the connection, or it was
 * cut for not sending the request in time, before the whole request arrived. The error then comes from the
 * request stream (typically `aborted`, ECONNRESET), not from a dependency, and no answer can reach the client.
 */
export function requestStreamFailed(request: FastifyRequest): boolean {
  return request.raw.destroyed === true && request.raw.complete !== true
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  problem: ProblemResource,
  headers: Record<string, string>,
) {
  return reply
    .code(problem.status)
    .headers(headers)
    .type('application/problem+json; charset=utf-8')
    .send({ ...problem, requestId: request.id })
}

/** One error handler for the whole API: every error is `application/problem+json`, 5xx details are logged only. */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) => {
      if (requestStreamFailed(request)) {
        request.log.info(
          { code: (error as { code?: unknown }).code, detail: (error as Error).message },
          'the connection closed before the whole request was received',
        )
        const problem = new BadRequestProblem('The request was not received completely')
        return send(
          reply,
          request,
          { type: problem.type, title: problem.title, status: problem.status, detail: problem.detail },
          {},
        )
      }
      const problem = toProblem(error)
      if (!problem) {
        request.log.error({ err: error }, 'request failed')
        return send(
          reply,
          request,
          { type: 'about:blank', title: 'Internal server error', status: 500, detail: INTERNAL },
          {},
        )
      }
      if (problem.status >= 500) request.log.warn({ err: error }, problem.detail)
      else request.log.info({ status: problem.status, detail: problem.detail }, 'request refused')
      return send(
        reply,
        request,
        {
          type: problem.type,
          title: problem.title,
          status: problem.status,
          detail: problem.detail,
          ...(problem.errors ? { errors: problem.errors } : {}),
        },
        problem.headers,
      )
    })

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      const problem = new NotFoundProblem(`No route ${request.method} ${path}`)
      return send(
        reply,
        request,
        { type: problem.type, title: problem.title, status: 404, detail: problem.detail },
        {},
      )
    })
  },
  { name: 'error-handler' },
)
