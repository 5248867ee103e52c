import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Headers on every answer, errors and 404s included: nothing is cached by intermediaries (answers carry
 * calendar data and change with the clock), content types are not sniffed, and the request id is echoed.
 */
export default fp(
  async (app: FastifyInstance) => {
    app.addHook('onSend', async (request, reply, payload) => {
      reply.header('cache-control', 'no-store')
      reply.header('x-content-type-options', 'nosniff')
      reply.header('x-request-id', request.id)
      return payload
    })
  },
  { name: 'security-headers' },
)
