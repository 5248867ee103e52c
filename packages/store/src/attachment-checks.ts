import type { AttachmentRecord } from './port.js'

const SHA256_HEX = /^[0-9a-f]{64}$/

/** Refuses an attachment whose record does not describe its bytes (both adapters store what they are given). */
export function checkAttachment(meta: AttachmentRecord, bytes: Buffer): void {
  if (meta.size !== bytes.length) {
    throw new Error(`Attachment ${meta.id} says ${meta.size} bytes but has ${bytes.length}`)
  }
  if (!SHA256_HEX.test(meta.sha256)) {
    throw new Error(`Attachment ${meta.id} has a sha256 that is not 64 lower-case hex digits`)
  }
}
