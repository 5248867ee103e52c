import type { HousekeepingPort } from '../port.js'
import type { MongoContext } from './mongo-context.js'
import { toDate } from './mongo-documents.js'

/** The worker's housekeeping on MongoDB: expired records, unfinished attachment files and the old change history go. */
export function makeMongoHousekeeping(context: MongoContext): HousekeepingPort {
  const { guarded, gridFs, changeLog } = context
  const { idempotency, jobs, outbox, deliveries, attachmentFiles } = context.collections
  return {
    purgeExpired: (before) =>
      guarded(async () => {
        const cutoff = toDate(before)
        await idempotency.deleteMany({ createdAt: { $lt: cutoff } })
        // A job finishes after it is created, so the `createdAt` bound changes nothing but lets the
        // (state, createdAt) index narrow the scan.
        await jobs.deleteMany({
          state: { $in: ['completed', 'failed'] },
          createdAt: { $lt: cutoff },
          finishedAt: { $lt: cutoff },
        })
        await outbox.deleteMany({ dispatchedAt: { $lt: cutoff } })
        await deliveries.deleteMany({ at: { $lt: cutoff } })
        // Uploads that earlier versions left pending, removals that a crash cut short, and chunks of an
        // upload whose abort failed too.
        await attachmentFiles.updateMany(
          { 'metadata.state': 'pending', uploadDate: { $lt: cutoff } },
          { $set: { 'metadata.state': 'deleting' } },
        )
        await gridFs.removeDeleting({})
        await gridFs.removeOrphanChunks(cutoff)
      }),

    purgeEventChanges: (before) => guarded(() => changeLog.purge(before)),
  }
}
