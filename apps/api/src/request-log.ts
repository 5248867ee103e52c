import { type FastifyReply, type FastifyRequest, LogController } from 'fastify'

/**
 * One log line per answered request, at `info` (`error` when the answer failed): the request (method,
 * redacted URL, host, client address), the status and the response time in ms, under the request's id.
 * Fastify's default writes the same in two lines ("incoming request", "request completed"), which doubled
 * the logging cost of the busiest paths. Every other log line of Fastify's stays as it is.
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error) reply.log.error({ ...fields, err: error }, 'request errored')
    else reply.log.info(fields, 'request completed')
  }
}
