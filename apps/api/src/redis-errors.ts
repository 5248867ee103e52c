import { UnavailableError } from './services/domain-errors.js'

/**
 * Redis (the job queue) cannot be reached. Raised where the API uses Redis or BullMQ (the intake refuses a
 * change while the producer connection is not ready), never inferred from an error of unknown source:
 * socket codes such as ECONNRESET are shared by every connection, the client's own included, and say
 * nothing about Redis on their own. The error handler answers it 503 with `Retry-After`.
 */
export class QueueUnavailableError extends UnavailableError {
  override name = 'QueueUnavailableError'
}
