import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Db, type Filter, GridFSBucket, ObjectId, WriteConcern } from 'mongodb'
import type { AttachmentRecord } from '../port.js'
import { ATTACHMENT_BUCKET, type Collections } from './mongo-collections.js'
import { type AttachmentFileDocument, attachmentMetadataOf } from './mongo-documents.js'

/**
 * The GridFS side of attachments: uploading bytes, reading them, and removing files that are no longer
 * visible. Visibility itself (the `metadata.state` of a file document) is changed by the store, inside its
 * transactions; see `AttachmentState`.
 */
export function makeAttachmentFiles(
  db: Db,
  collections: Pick<Collections, 'attachmentFiles' | 'attachmentChunks'>,
) {
  // Majority writes: the transaction that makes an upload visible reads a majority-committed snapshot, in
  // which a file document written with a weaker concern might not be yet.
  const bucket = new GridFSBucket(db, {
    bucketName: ATTACHMENT_BUCKET,
    writeConcern: new WriteConcern('majority'),
  })
  const { attachmentFiles: files, attachmentChunks: chunks } = collections

  /** Removes the chunks, then the document, of every `deleting` file that `filter` matches. */
  async function removeDeleting(filter: Filter<AttachmentFileDocument>): Promise<void> {
    const doomed = await files
      .find({ ...filter, 'metadata.state': 'deleting' }, { projection: { _id: 1 } })
      .toArray()
    if (doomed.length === 0) return
    const ids = doomed.map((file) => file._id)
    // Chunks first: a crash in between leaves a `deleting` document that the next removal finds again.
    await chunks.deleteMany({ files_id: { $in: ids } })
    await files.deleteMany({ _id: { $in: ids }, 'metadata.state': 'deleting' })
  }

  return {
    /** Uploads the bytes as a `pending` file (invisible until stored); answers its GridFS id. */
    async upload(meta: AttachmentRecord, bytes: Buffer): Promise<ObjectId> {
      const fileId = new ObjectId()
      const stream = bucket.openUploadStreamWithId(fileId, meta.filename, {
        metadata: attachmentMetadataOf(meta),
      })
      try {
        await pipeline(Readable.from([bytes]), stream)
      } catch (error) {
        // The chunks written so far; the file document is only written once every chunk is.
        await stream.abort().catch(() => undefined)
        throw error
      }
      return fileId
    },

    async read(fileId: ObjectId): Promise<Buffer> {
      const parts: Buffer[] = []
      for await (const chunk of bucket.openDownloadStream(fileId)) parts.push(chunk as Buffer)
      return Buffer.concat(parts)
    },

    /** Removes uploads that will not be stored (a failed or replayed `putAttachment`). */
    async discard(fileIds: ObjectId[]): Promise<void> {
      if (fileIds.length === 0) return
      await files.updateMany(
        { _id: { $in: fileIds }, 'metadata.state': 'pending' },
        { $set: { 'metadata.state': 'deleting' } },
      )
      await removeDeleting({ _id: { $in: fileIds } })
    },

    removeDeleting,
  }
}

export type AttachmentFiles = ReturnType<typeof makeAttachmentFiles>
