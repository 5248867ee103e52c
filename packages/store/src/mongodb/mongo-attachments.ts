import { checkAttachment } from '../attachment-checks.js'
import { type AttachmentPort, type AttachmentRecord, EventNotFoundError } from '../port.js'
import type { MongoContext } from './mongo-context.js'
import { attachmentFromDocument, recordKey } from './mongo-documents.js'
import { deletedOf, type IdempotentWrites } from './mongo-idempotency.js'

/** The attachments aggregate on MongoDB: GridFS bucket `attachments` (see `mongo-attachment-files.ts`). */
export function makeMongoAttachments(context: MongoContext & IdempotentWrites): AttachmentPort {
  const { guarded, ensureRevision, bumpRevision, gridFs, idempotently, deleteIdempotently } = context
  const { events, attachmentFiles } = context.collections
  return {
    putAttachment: (meta, bytes, write) =>
      guarded(async () => {
        checkAttachment(meta, bytes)
        await ensureRevision(meta.calendarId)
        // One transaction, as PostgreSQL's: the key is claimed first (a replay writes nothing), then the
        // event checked and the bytes written; a failure anywhere leaves no chunk and no key behind.
        return idempotently(meta.calendarId, write, async (session) => {
          const event = await events.findOne(
            { _id: recordKey(meta.calendarId, meta.eventId) },
            { session, projection: { _id: 1 } },
          )
          if (event === null) throw eventNotFound(meta)
          // Plans increment the revision too: a plan that deletes the event either commits first (the
          // event is gone when this runs again) or conflicts and runs after this (and marks the file).
          await bumpRevision(session, meta.calendarId)
          // A second attachment with this id under this event: refused by `attachments_id` (→ DuplicateIdError).
          await gridFs.write(session, meta, bytes)
          return meta
        })
      }),

    listAttachments: (calendarId, eventId) =>
      guarded(async () => {
        const documents = await attachmentFiles
          .find({
            'metadata.calendarId': calendarId,
            'metadata.eventId': eventId,
            'metadata.state': 'stored',
          })
          .sort({ 'metadata.createdAt': 1, 'metadata.attachmentId': 1 })
          .toArray()
        return documents.map(attachmentFromDocument)
      }),

    getAttachment: (calendarId, eventId, id) =>
      guarded(async () => {
        const filter = {
          'metadata.calendarId': calendarId,
          'metadata.eventId': eventId,
          'metadata.attachmentId': id,
          'metadata.state': 'stored' as const,
        }
        const document = await attachmentFiles.findOne(filter)
        if (document === null) return null
        try {
          return { meta: attachmentFromDocument(document), bytes: await gridFs.read(document._id) }
        } catch (error) {
          // Deleted while it was being read: as if it had been deleted before.
          if ((await attachmentFiles.findOne(filter, { projection: { _id: 1 } })) === null) return null
          throw error
        }
      }),

    deleteAttachment: (calendarId, eventId, id, write) =>
      guarded(async () => {
        const result = await deleteIdempotently(calendarId, write, async (session) => {
          const marked = await attachmentFiles.findOneAndUpdate(
            {
              'metadata.calendarId': calendarId,
              'metadata.eventId': eventId,
              'metadata.attachmentId': id,
              'metadata.state': 'stored',
            },
            { $set: { 'metadata.state': 'deleting' } },
            { projection: { _id: 1 }, session },
          )
          return marked === null ? null : marked._id
        })
        if (result.kind === 'done' && result.value !== null) {
          // Invisible from here on; a removal cut short is finished by purgeExpired.
          await gridFs.removeDeleting({ _id: result.value }).catch(() => undefined)
        }
        return deletedOf(result)
      }),
  }
}

function eventNotFound(attachment: AttachmentRecord): EventNotFoundError {
  return new EventNotFoundError(
    `Event ${attachment.eventId} does not exist in calendar ${attachment.calendarId}`,
  )
}
