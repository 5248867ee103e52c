/** One invalid part of a request: a JSON pointer such as `/body/title` and what is wrong with it. */
export interface FieldError {
  path: string
  message: string
}

const PROBLEM_BASE = 'urn:scheduler-api:problem:'

/**
 * An error the client can act on, answered as RFC 9457 problem details. Every 4xx the API answers is one of
 * these; anything else that reaches the error handler is a 5xx whose detail is never shown.
 */
export abstract class HttpProblem extends Error {
  abstract readonly status: number
  abstract readonly title: string
  abstract readonly slug: string
  /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
  readonly headers: Record<string, string> = {}

  constructor(
    readonly detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail)
  }

  get type(): string {
    return PROBLEM_BASE + this.slug
  }
}

export class ValidationProblem extends HttpProblem {
  override name = 'ValidationProblem'
  readonly status = 400
  readonly title = 'Invalid request'
  readonly slug = 'invalid-request'

  /** A single invalid field. */
  static at(path: string, message: string): ValidationProblem {
    return new ValidationProblem(`${path}: ${message}`, [{ path, message }])
  }
}

export class BadRequestProblem extends HttpProblem {
  override name = 'BadRequestProblem'
  readonly status = 400
  readonly title = 'Bad request'
  readonly slug = 'bad-request'
}

export class UnauthorizedProblem extends HttpProblem {
  override name = 'UnauthorizedProblem'
  readonly status = 401
  readonly title = 'Unauthenticated'
  readonly slug = 'unauthenticated'
  override readonly headers: Record<string, string>

  constructor(detail: string, bearerError: 'invalid_request' | 'invalid_token' | null = 'invalid_token') {
    super(detail)
    // RFC 6750 §3: no error code when the request carried no credentials at all
    this.headers = {
      'www-authenticate': bearerError
        ? `Bearer realm="scheduler-api", error="${bearerError}"`
        : 'Bearer realm="scheduler-api"',
    }
  }
}

export class ForbiddenProblem extends HttpProblem {
  override name = 'ForbiddenProblem'
  readonly status = 403
  readonly title = 'Insufficient scope'
  readonly slug = 'insufficient-scope'
  override readonly headers: Record<string, string>

  constructor(scope: string) {
    super(`This operation needs the scope "${scope}"`)
    this.headers = {
      'www-authenticate': `Bearer realm="scheduler-api", error="insufficient_scope", scope="${scope}"`,
    }
  }
}

export class NotFoundProblem extends HttpProblem {
  override name = 'NotFoundProblem'
  readonly status = 404
  readonly title = 'Not found'
  readonly slug = 'not-found'
}

export class RequestTimeoutProblem extends HttpProblem {
  override name = 'RequestTimeoutProblem'
  readonly status = 408
  readonly title = 'Request timeout'
  readonly slug = 'request-timeout'
}

export class ConflictProblem extends HttpProblem {
  override name = 'ConflictProblem'
  readonly status = 409
  readonly title = 'Conflict'
  readonly slug = 'conflict'
}

export class SyncTokenExpiredProblem extends HttpProblem {
  override name = 'SyncTokenExpiredProblem'
  readonly status = 410
  readonly title = 'Sync token expired'
  readonly slug = 'sync-token-expired'
}

export class PreconditionFailedProblem extends HttpProblem {
  override name = 'PreconditionFailedProblem'
  readonly status = 412
  readonly title = 'Precondition failed'
  readonly slug = 'precondition-failed'
}

export class PayloadTooLargeProblem extends HttpProblem {
  override name = 'PayloadTooLargeProblem'
  readonly status = 413
  readonly title = 'Payload too large'
  readonly slug = 'payload-too-large'
}

export class UriTooLongProblem extends HttpProblem {
  override name = 'UriTooLongProblem'
  readonly status = 414
  readonly title = 'URI too long'
  readonly slug = 'uri-too-long'
}

export class UnsupportedMediaTypeProblem extends HttpProblem {
  override name = 'UnsupportedMediaTypeProblem'
  readonly status = 415
  readonly title = 'Unsupported media type'
  readonly slug = 'unsupported-media-type'
}

export class ExpectationFailedProblem extends HttpProblem {
  override name = 'ExpectationFailedProblem'
  readonly status = 417
  readonly title = 'Expectation failed'
  readonly slug = 'expectation-failed'
}

export class UnprocessableProblem extends HttpProblem {
  override name = 'UnprocessableProblem'
  readonly status = 422
  readonly title = 'Unprocessable request'
  readonly slug = 'unprocessable'

  static at(path: string, message: string): UnprocessableProblem {
    return new UnprocessableProblem(`${path}: ${message}`, [{ path, message }])
  }
}

export class IdempotencyKeyReusedProblem extends HttpProblem {
  override name = 'IdempotencyKeyReusedProblem'
  readonly status = 422
  readonly title = 'Idempotency key reused'
  readonly slug = 'idempotency-key-reused'

  constructor() {
    super('This Idempotency-Key was used with another request; use a new key for a new request')
  }
}

export class RequestHeaderFieldsTooLargeProblem extends HttpProblem {
  override name = 'RequestHeaderFieldsTooLargeProblem'
  readonly status = 431
  readonly title = 'Request header fields too large'
  readonly slug = 'request-header-fields-too-large'
}

export class RateLimitedProblem extends HttpProblem {
  override name = 'RateLimitedProblem'
  readonly status = 429
  readonly title = 'Too many requests'
  readonly slug = 'rate-limited'
  override readonly headers: Record<string, string>

  constructor(retryAfterSeconds: number) {
    super(`Rate limit exceeded; retry in ${retryAfterSeconds} s`)
    this.headers = { 'retry-after': String(retryAfterSeconds) }
  }
}

export class ServiceUnavailableProblem extends HttpProblem {
  override name = 'ServiceUnavailableProblem'
  readonly status = 503
  readonly title = 'Service unavailable'
  readonly slug = 'service-unavailable'
  override readonly headers: Record<string, string>

  constructor(detail: string, retryAfterSeconds = 5) {
    super(detail)
    this.headers = { 'retry-after': String(retryAfterSeconds) }
  }
}
