import type { Instant } from './types.js'

/**
 * A file attached to an event. Deleting the event (a plan's `deletions`) deletes its attachments with it.
 */
export interface AttachmentRecord {
  /** `att_…` */
  id: string
  calendarId: string
  eventId: string
  /** The file's name as uploaded, sanitized (no directories, no control characters). */
  filename: string
  /** A media type, `type/subtype` with an optional `charset`. */
  contentType: string
  /** The number of bytes. */
  size: number
  /** The SHA-256 of the bytes, lower-case hex. */
  sha256: string
  createdAt: Instant
}
