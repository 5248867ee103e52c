import { type ClientSession, type Db, type Filter, GridFSBucket, ObjectId, WriteConcern } from 'mongodb'
import type { AttachmentRecord } from '../port.js'
import { ATTACHMENT_BUCKET, type Collections } from './mongo-collections.js'
import {
  type AttachmentChunkDocument,
  type AttachmentFileDocument,
  attachmentMetadataOf,
} from './mongo-documents.js'

/** GridFS's default chunk size (255 KiB), which the driver's own uploads use too. */
const CHUNK_SIZE = 255 * 1024

/**
 * The GridFS side of attachments: writing a file in the GridFS format inside the caller's transaction,
 * reading it back with GridFS, and removing files that are no longer visible. Visibility itself (the
 * `metadata.state` of a file document) is changed by the store, inside its transactions; see
 * `AttachmentState`.
 */
export function makeAttachmentFiles(
  db: Db,
  collections: Pick<Collections, 'attachmentFiles' | 'attachmentChunks'>,
) {
  // Majority writes: what is removed or read here must be what a majority of the set holds.
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
    /**
     * Writes `bytes` as a `stored` GridFS file (chunks, then the file document, as GridFS's own upload
     * does) in `session`'s transaction: an aborted write leaves no chunk behind, and the file is visible
     * exactly when the transaction commits. Answers its GridFS id.
     */
    async write(session: ClientSession, meta: AttachmentRecord, bytes: Buffer): Promise<ObjectId> {
      const fileId = new ObjectId()
      const parts: AttachmentChunkDocument[] = []
      for (let n = 0; n * CHUNK_SIZE < bytes.length; n++) {
        const data = bytes.subarray(n * CHUNK_SIZE, (n + 1) * CHUNK_SIZE)
        parts.push({ _id: new ObjectId(), files_id: fileId, n, data })
      }
      if (parts.length > 0) await chunks.insertMany(parts, { session })
      await files.insertOne(
        {
          _id: fileId,
          length: bytes.length,
          chunkSize: CHUNK_SIZE,
          filename: meta.filename,
          uploadDate: new Date(),
          metadata: attachmentMetadataOf(meta),
        },
        { session },
      )
      return fileId
    },

    async read(fileId: ObjectId): Promise<Buffer> {
      const parts: Buffer[] = []
      for await (const chunk of bucket.openDownloadStream(fileId)) parts.push(chunk as Buffer)
      return Buffer.concat(parts)
    },

    removeDeleting,

    /**
     * Removes chunks older than `before` whose file document does not exist: what an upload through
     * GridFS's own stream (as earlier versions wrote attachments) left when it failed and its abort
     * failed too. One pass over the chunks older than `before` (their `_id`s carry their write time).
     */
    async removeOrphanChunks(before: Date): Promise<void> {
      const orphans = await chunks
        .aggregate<{ _id: ObjectId }>([
          { $match: { _id: { $lt: ObjectId.createFromTime(Math.floor(before.getTime() / 1000)) } } },
          { $group: { _id: '$files_id' } },
          { $lookup: { from: files.collectionName, localField: '_id', foreignField: '_id', as: 'file' } },
          { $match: { file: { $size: 0 } } },
          { $project: { _id: 1 } },
        ])
        .toArray()
      if (orphans.length === 0) return
      await chunks.deleteMany({ files_id: { $in: orphans.map((orphan) => orphan._id) } })
    },
  }
}

export type AttachmentFiles = ReturnType<typeof makeAttachmentFiles>
