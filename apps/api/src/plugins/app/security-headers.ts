import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Headers on every answer, errors and 404s included: nothing is cached by intermediaries (answers carry
 * calendar data and change with the clock), content types are not sniffed, and the request id is echoed.
 */
export default fp(
  async (app: FastifyInstance) => {
    // A callback hook, not an async one: it runs on every answer, and a promise per answer is a cost
    app.addHook('onSend', (request, reply, payload, done) => {
      reply.header('cache-control', 'no-store')
      reply.header('x-content-type-options', 'nosniff')
      reply.header('x-request-id', request.id)
      done(null, payload)
    })
  },
  { name: 'security-headers' },
)
