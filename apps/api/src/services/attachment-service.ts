import { CALENDAR_ID_DEFAULT, type IdPrefix, type Instant } from '@scheduler/core'
import { type AttachmentRecord, EventNotFoundError, type Store } from '@scheduler/store'
import { NotFoundError } from './domain-errors.js'
import {
  type Idempotent,
  type IdempotentRequest,
  type IdempotentWrites,
  mapDone,
} from './idempotency-service.js'

export interface AttachmentServiceDeps {
  store: Pick<Store, 'getEvent' | 'putAttachment' | 'listAttachments' | 'getAttachment' | 'deleteAttachment'>
  writes: IdempotentWrites
  clock: () => Instant
  mintId: (prefix: IdPrefix) => string
}

/** A file as received: its sanitized name and media type, the bytes and their SHA-256 (lower-case hex). */
export interface AttachmentUpload {
  filename: string
  contentType: string
  bytes: Buffer
  sha256: string
}

const calendarId = CALENDAR_ID_DEFAULT

/**
 * Files attached to an event, written to the store directly (not through the placement queue: they do not
 * touch the calendar's time). An unknown event or attachment is `NotFoundError`.
 */
export function makeAttachmentService(deps: AttachmentServiceDeps) {
  const { store, writes } = deps

  async function requireEvent(eventId: string): Promise<void> {
    if (!(await store.getEvent(calendarId, eventId)))
      throw new NotFoundError(`Event ${eventId} does not exist`)
  }

  function noAttachment(eventId: string, id: string): NotFoundError {
    return new NotFoundError(`Event ${eventId} has no attachment ${id}`)
  }

  return {
    /**
     * Attaches the file `read` answers to the event. The event is looked up before the file is read
     * (nothing is read for an unknown event); the idempotency key, which covers the file, is asked for once
     * the file is read (`requestFor`).
     */
    async attach(
      eventId: string,
      read: () => Promise<AttachmentUpload>,
      requestFor: (upload: AttachmentUpload) => IdempotentRequest<AttachmentRecord> | null,
    ): Promise<Idempotent<AttachmentRecord>> {
      await requireEvent(eventId)
      const upload = await read()
      const now = deps.clock()
      return writes.run(requestFor(upload), now, async (record) => {
        const attachment: AttachmentRecord = {
          id: deps.mintId('att'),
          calendarId,
          eventId,
          filename: upload.filename,
          contentType: upload.contentType,
          size: upload.bytes.length,
          sha256: upload.sha256,
          createdAt: now,
        }
        try {
          const result = await store.putAttachment(attachment, upload.bytes, record(attachment))
          return mapDone(result, () => attachment)
        } catch (error) {
          // Deleted while the upload was being read
          if (error instanceof EventNotFoundError) throw new NotFoundError(`Event ${eventId} does not exist`)
          throw error
        }
      })
    },

    /** The event's attachments, oldest first. */
    async list(eventId: string): Promise<AttachmentRecord[]> {
      await requireEvent(eventId)
      return store.listAttachments(calendarId, eventId)
    },

    async get(eventId: string, id: string): Promise<{ meta: AttachmentRecord; bytes: Buffer }> {
      const found = await store.getAttachment(calendarId, eventId, id)
      if (!found) throw noAttachment(eventId, id)
      return found
    },

    /** Deletes an attachment; an unknown one records no key. */
    async remove(
      eventId: string,
      id: string,
      request: IdempotentRequest<void> | null,
    ): Promise<Idempotent<void>> {
      return writes.run(request, deps.clock(), async (record) => {
        const result = await store.deleteAttachment(calendarId, eventId, id, record())
        if (result.kind === 'done' && !result.value) throw noAttachment(eventId, id)
        return mapDone(result, () => undefined)
      })
    },
  }
}

export type AttachmentService = ReturnType<typeof makeAttachmentService>
