import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  AttachmentListSchema,
  AttachmentSchema,
  AttachmentUploadRequestSchema,
  ref,
  toAttachmentResource,
} from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT, newId } from '@scheduler/core'
import { type AttachmentRecord, EventNotFoundError } from '@scheduler/store'
import { Type } from '@sinclair/typebox'
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify'
import { NotFoundProblem, PayloadTooLargeProblem, UnsupportedMediaTypeProblem } from '../../../../errors.js'
import multipartPlugin from '../../../../plugins/external/multipart.js'
import { ChangeHeaders, problemResponse, problemResponses } from '../../../route-schemas.js'
import { contentDisposition } from './content-disposition.js'
import { readUpload } from './upload-reader.js'

/** Room for the multipart framing (boundaries, part headers) around the largest file accepted. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024

const EventId = Type.String({ minLength: 1, maxLength: 255, description: 'The event id' })

const EventParams = Type.Object({ id: EventId }, { additionalProperties: false })

const AttachmentParams = Type.Object(
  {
    id: EventId,
    attachmentId: Type.String({ minLength: 1, maxLength: 255, description: 'The attachment id' }),
  },
  { additionalProperties: false },
)

const DIRECT_WRITE =
  'Attachments are written to the store directly, not through the placement queue: they do not touch the ' +
  'calendar’s time, so the answer is final (no job). Deleting the event deletes its attachments.'

const CREATED = {
  description: 'Stored',
  headers: {
    location: { type: 'string', description: 'The attachment’s URL (its bytes)' },
  },
  ...ref(AttachmentSchema),
}

const BYTES = {
  description: 'The file’s bytes, with the content type it was uploaded with',
  headers: {
    'content-length': { type: 'integer', description: 'The size in bytes' },
    'content-disposition': {
      type: 'string',
      description:
        '`attachment; filename="…"` (RFC 6266): an ASCII fallback, and `filename*` (RFC 8187) with the ' +
        'exact name when it is not plain ASCII',
    },
    'repr-digest': {
      type: 'string',
      description: 'The SHA-256 of the bytes, `sha-256=:<base64>:` (RFC 9530)',
    },
  },
  content: { '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
}

// A 415 before anything is parsed or read (and after authentication, which `onRequest` does): the body of
// an upload is `multipart/form-data` and nothing else. A declared length beyond the limit is refused unread.
async function requireMultipartUpload(request: FastifyRequest, maxBytes: number): Promise<void> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'multipart/form-data') {
    throw new UnsupportedMediaTypeProblem('Send the file as multipart/form-data, in one part named "file"')
  }
  const length = Number(request.headers['content-length'])
  if (Number.isFinite(length) && length > maxBytes + MULTIPART_OVERHEAD_BYTES) {
    throw new PayloadTooLargeProblem(`The file is larger than the limit of ${maxBytes} bytes`)
  }
}

/**
 * Files attached to an event (`/v1/events/{id}/attachments`): upload (multipart), list, download, delete.
 * Bytes are kept in the calendar store (a table on PostgreSQL, GridFS on MongoDB), at most
 * ATTACHMENT_MAX_BYTES each.
 */
const attachmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const calendarId = CALENDAR_ID_DEFAULT
  const maxBytes = app.config.ATTACHMENT_MAX_BYTES
  await app.register(multipartPlugin)

  // The multipart body is a stream that `readUpload` reads and checks; its schema only documents it.
  // Everything else (params, headers) is validated as on every route.
  const appCompiler = app.validatorCompiler
  if (!appCompiler) throw new Error('The app’s validator compiler must be set before the routes')
  const streamedBodyCompiler: FastifySchemaCompiler<unknown> = (route) =>
    route.httpPart === 'body' ? () => true : appCompiler(route)

  app.post(
    '',
    {
      config: { scope: 'events:write' },
      // The JSON body limit (BODY_LIMIT_BYTES) is not the upload's: the file has its own.
      bodyLimit: maxBytes + MULTIPART_OVERHEAD_BYTES,
      preParsing: async (request, _reply, payload) => {
        await requireMultipartUpload(request, maxBytes)
        return payload
      },
      validatorCompiler: streamedBodyCompiler,
      schema: {
        tags: ['events'],
        summary: 'Attach a file to an event',
        operationId: 'createAttachment',
        description:
          '`multipart/form-data` with exactly one part, named `file`, that carries a `filename` and the ' +
          `file’s \`Content-Type\`; at most ATTACHMENT_MAX_BYTES (here ${maxBytes}) bytes, else 413 and ` +
          'nothing is stored. Another part, a second file or a missing one is a 400; another body type a ' +
          '415. The file name is kept without directories or control characters. ' +
          `${DIRECT_WRITE} \`Idempotency-Key\` works as on every POST (the same file again is the same request).`,
        params: EventParams,
        headers: ChangeHeaders,
        body: { content: { 'multipart/form-data': { schema: ref(AttachmentUploadRequestSchema) } } },
        response: {
          201: CREATED,
          ...problemResponses(400, 404, 422),
          413: { ...problemResponse(413), description: 'The file is larger than ATTACHMENT_MAX_BYTES' },
          415: { ...problemResponse(415), description: 'The body is not `multipart/form-data`' },
        },
      },
    },
    async (request, reply) => {
      const eventId = request.params.id
      // Before the upload is read: nothing is read for an event that does not exist.
      if (!(await app.store.getEvent(calendarId, eventId))) {
        throw new NotFoundProblem(`Event ${eventId} does not exist`)
      }
      const upload = await readUpload(request, maxBytes)

      const context = app.idempotency.contextOf(
        request.headers['idempotency-key'],
        {
          method: request.method,
          route: request.routeOptions.url ?? request.url,
          params: request.params,
          body: {
            filename: upload.filename,
            contentType: upload.contentType,
            size: upload.bytes.length,
            sha256: upload.sha256,
          },
        },
        calendarId,
      )
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)

      const attachment: AttachmentRecord = {
        id: newId('att'),
        calendarId,
        eventId,
        filename: upload.filename,
        contentType: upload.contentType,
        size: upload.bytes.length,
        sha256: upload.sha256,
        createdAt: now,
      }
      const created = toAttachmentResource(attachment)
      let result: Awaited<ReturnType<typeof app.store.putAttachment>>
      try {
        result = await app.store.putAttachment(
          attachment,
          upload.bytes,
          app.idempotency.record(context, { status: 201, body: created }, now),
        )
      } catch (error) {
        // Deleted while the upload was being read.
        if (error instanceof EventNotFoundError) throw new NotFoundProblem(`Event ${eventId} does not exist`)
        throw error
      }
      if (result.kind === 'replay' && context) {
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      }
      reply
        .code(201)
        .header(
          'location',
          `/v1/events/${encodeURIComponent(eventId)}/attachments/${encodeURIComponent(attachment.id)}`,
        )
      return created
    },
  )

  app.get(
    '',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'List an event’s attachments',
        operationId: 'listAttachments',
        description: 'Oldest first; the bytes are fetched one by one.',
        params: EventParams,
        response: { 200: ref(AttachmentListSchema), ...problemResponses(400, 404) },
      },
    },
    async (request) => {
      const eventId = request.params.id
      if (!(await app.store.getEvent(calendarId, eventId))) {
        throw new NotFoundProblem(`Event ${eventId} does not exist`)
      }
      const attachments = await app.store.listAttachments(calendarId, eventId)
      return { items: attachments.map(toAttachmentResource) }
    },
  )

  app.get(
    '/:attachmentId',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['events'],
        summary: 'Download an attachment',
        operationId: 'getAttachment',
        description:
          'The bytes as uploaded, always as a download (`Content-Disposition: attachment`), with ' +
          '`X-Content-Type-Options: nosniff` and a sandboxing `Content-Security-Policy`.',
        params: AttachmentParams,
        response: { 200: BYTES, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id: eventId, attachmentId } = request.params
      const found = await app.store.getAttachment(calendarId, eventId, attachmentId)
      if (!found) throw new NotFoundProblem(`Event ${eventId} has no attachment ${attachmentId}`)
      const { meta, bytes } = found
      return (
        reply
          .type(meta.contentType)
          .header('content-length', String(bytes.length))
          .header('content-disposition', contentDisposition(meta.filename))
          .header('repr-digest', `sha-256=:${Buffer.from(meta.sha256, 'hex').toString('base64')}:`)
          // Should a client render it after all, it runs nothing and loads nothing.
          .header('content-security-policy', "default-src 'none'; sandbox")
          .send(bytes)
      )
    },
  )

  app.delete(
    '/:attachmentId',
    {
      config: { scope: 'events:write' },
      schema: {
        tags: ['events'],
        summary: 'Delete an attachment',
        operationId: 'deleteAttachment',
        description:
          `${DIRECT_WRITE} Deleting again answers 404, except with the same \`Idempotency-Key\`: that answers ` +
          'the recorded 204 again (`Idempotent-Replayed: true`); the key with another request is a 422. A 404 ' +
          'records no key.',
        params: AttachmentParams,
        headers: ChangeHeaders,
        response: {
          204: Type.Null({ description: 'Deleted' }),
          ...problemResponses(400, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const { id: eventId, attachmentId } = request.params
      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)
      const result = await app.store.deleteAttachment(
        calendarId,
        eventId,
        attachmentId,
        app.idempotency.record(context, { status: 204, body: null }, now),
      )
      if (result.kind === 'replay' && context) {
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      }
      if (result.kind === 'done' && !result.value) {
        throw new NotFoundProblem(`Event ${eventId} has no attachment ${attachmentId}`)
      }
      return reply.code(204).send(null)
    },
  )
}

export default attachmentRoutes
