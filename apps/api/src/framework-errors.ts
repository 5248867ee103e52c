import { randomUUID } from 'node:crypto'
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  BadRequestProblem,
  ExpectationFailedProblem,
  type HttpProblem,
  RequestHeaderFieldsTooLargeProblem,
  RequestTimeoutProblem,
  UriTooLongProblem,
} from './errors.js'

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

/**
 * Headers on every answer, errors included (the security-headers plugin sets them on routed answers; the
 * refusals below are made before any route and set them themselves).
 */
export const STANDARD_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const

/** The longest request target (path and query) accepted; a longer one is a 414 (nginx's default buffer). */
export const MAX_URL_LENGTH = 8192

/** A problem as the wire carries it. */
export function problemBody(problem: HttpProblem, requestId: string) {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    ...(problem.errors ? { errors: problem.errors } : {}),
    requestId,
  }
}

const INTERNAL_BODY = {
  type: 'about:blank',
  title: 'Internal server error',
  status: 500,
  detail: 'The server could not complete the request; the request id identifies it in the logs',
}

/**
 * Fastify's `frameworkErrors` option: the refusals its router makes before a route is found, answered as
 * problems with the standard headers. `FST_ERR_BAD_URL` (a malformed percent-encoding such as `%FF`) is a
 * 400; `FST_ERR_MAX_PARAM_LENGTH` (a path parameter longer than the router's `maxParamLength`, which is
 * MAX_URL_LENGTH) a 414, as the URL is then too long anyway; anything else a 500.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  let problem: HttpProblem | null = null
  if (error.code === 'FST_ERR_BAD_URL') {
    problem = new BadRequestProblem('The URL is malformed: a percent-encoded sequence is not valid UTF-8')
  } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    problem = new UriTooLongProblem(`The URL is longer than ${MAX_URL_LENGTH} characters`)
  }
  if (problem) request.log.info({ status: problem.status, detail: problem.detail }, 'request refused')
  else request.log.error({ err: error }, 'request failed before routing')
  return reply
    .code(problem ? problem.status : 500)
    .headers({ ...STANDARD_HEADERS, 'x-request-id': request.id })
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem ? problemBody(problem, request.id) : { ...INTERNAL_BODY, requestId: request.id })
}

/** The problem for an error Node's HTTP parser or its timers raised on a connection (`clientError`). */
export function clientErrorProblem(error: NodeJS.ErrnoException): HttpProblem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutProblem(
        'The request was not received in time (REQUEST_TIMEOUT_MS for the whole request, HEADERS_TIMEOUT_MS for its headers)',
      )
    case 'HPE_HEADER_OVERFLOW':
      return new RequestHeaderFieldsTooLargeProblem(
        'The request line and headers are larger than the server accepts (16 KiB)',
      )
    default:
      return new BadRequestProblem('The request is not valid HTTP/1.1')
  }
}

interface ClientSocket extends Socket {
  /** The response in flight on the connection, if any (Node's own `clientError` handling checks it too). */
  _httpMessage?: { headersSent?: boolean } | null
}

/**
 * Fastify's `clientErrorHandler` option, for what Node's HTTP server refuses before Fastify sees a request:
 * headers too large (431), a request not received within its timeout (408), a malformed request (400).
 * The answer is written to the socket as a raw problem+json response with the standard headers and a new
 * request id, then the connection is closed. A connection the client already reset gets nothing.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const problem = clientErrorProblem(error)
  const requestId = randomUUID()
  this.log.info(
    { requestId, status: problem.status, code: error.code },
    'connection refused by the HTTP parser',
  )
  const inFlight = (socket as ClientSocket)._httpMessage
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify(problemBody(problem, requestId))
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: ${STANDARD_HEADERS['cache-control']}\r\n` +
        `X-Content-Type-Options: ${STANDARD_HEADERS['x-content-type-options']}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroy(error)
}

/**
 * Node's `checkExpectation` event, for an `Expect` header other than `100-continue` (RFC 9110 §10.1.1): a
 * 417 problem with the standard headers instead of Node's bare answer. Node does not pass such a request on.
 */
export function expectationFailed(request: IncomingMessage, response: ServerResponse) {
  const problem = new ExpectationFailedProblem('Only "Expect: 100-continue" is supported')
  const requestId = randomUUID()
  const body = JSON.stringify(problemBody(problem, requestId))
  response.writeHead(problem.status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    ...STANDARD_HEADERS,
    'x-request-id': requestId,
    connection: 'close',
  })
  response.end(body)
  request.resume()
}
