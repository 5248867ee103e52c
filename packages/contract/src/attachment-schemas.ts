import type { AttachmentRecord } from '@scheduler/core'
import { type Static, Type } from '@sinclair/typebox'
import { dateTime, ref } from './common-schemas.js'
import { toWireInstant } from './wire-time.js'

export const AttachmentSchema = Type.Object(
  {
    id: Type.String({ description: 'Opaque, prefixed `att_`' }),
    filename: Type.String({
      description: 'The uploaded file’s name, without directories or control characters',
    }),
    contentType: Type.String({
      description:
        'The media type the file was uploaded with (`application/octet-stream` when none was usable)',
    }),
    size: Type.Integer({ minimum: 0, description: 'In bytes' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the bytes, lower-case hex' }),
    createdAt: dateTime(),
  },
  { $id: 'Attachment', additionalProperties: false, description: 'A file attached to an event.' },
)
export type AttachmentResource = Static<typeof AttachmentSchema>

export const AttachmentListSchema = Type.Object(
  { items: Type.Array(ref(AttachmentSchema)) },
  {
    $id: 'AttachmentList',
    additionalProperties: false,
    description: 'An event’s attachments, oldest first.',
  },
)
export type AttachmentListResource = Static<typeof AttachmentListSchema>

/**
 * The upload's `multipart/form-data` body, for the OpenAPI document: the API reads and checks the parts
 * itself, as a stream.
 */
export const AttachmentUploadRequestSchema = Type.Object(
  {
    file: Type.String({
      contentMediaType: 'application/octet-stream',
      description:
        'The file: one part named `file` with a `filename` and the file’s own `Content-Type`. No other part is accepted.',
    }),
  },
  { $id: 'AttachmentUploadRequest', additionalProperties: false },
)

export function toAttachmentResource(record: AttachmentRecord): AttachmentResource {
  return {
    id: record.id,
    filename: record.filename,
    contentType: record.contentType,
    size: record.size,
    sha256: record.sha256,
    createdAt: toWireInstant(record.createdAt),
  }
}
