import fastifyMultipart from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * `multipart/form-data` parsing (`request.parts()`) with the attachment limits: one file of at most
 * ATTACHMENT_MAX_BYTES and a handful of small parts besides, so that a request can be refused precisely
 * (400 for an unexpected part, 413 for a file too large) without holding more than one file in memory.
 *
 * Registered by the routes that take uploads, inside their own context rather than in app.ts: every other
 * route then keeps answering 415 to a multipart body instead of receiving no body at all.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(fastifyMultipart, {
      // The handler reads a file that is too large to its end and answers 413 itself, so that the client
      // receives the answer instead of a connection reset mid-upload.
      throwFileSizeLimit: false,
      limits: {
        fileSize: app.config.ATTACHMENT_MAX_BYTES,
        // One more than accepted of each, so that an extra one is seen and refused rather than skipped.
        files: 2,
        fields: 4,
        parts: 6,
        fieldNameSize: 100,
        fieldSize: 1024,
        headerPairs: 20,
      },
    })
  },
  { name: 'multipart', dependencies: ['env'] },
)
