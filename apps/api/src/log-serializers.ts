import type { FastifyRequest } from 'fastify'

// Credentials that ride in a query string (the ICS feed's `token`): never written to a log.
const SECRET_QUERY = /([?&](?:token)=)[^&#]*/gi

/** A URL with the values of secret query parameters replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]')
}

/**
 * The request as log lines show it: Fastify's default fields (method, url, host, remote address and port)
 * with secret query parameters redacted from the URL.
 */
export function requestLogFields(request: FastifyRequest) {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}
