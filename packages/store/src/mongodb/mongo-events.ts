import type { EventPort } from '../port.js'
import { assertWritable, atMost, isPlacedAndOccupying, type MongoContext } from './mongo-context.js'
import {
  eventFromDocument,
  eventToDocument,
  jobFromDocument,
  jobToDocument,
  recordKey,
  toDate,
} from './mongo-documents.js'
import type { IdempotentWrites } from './mongo-idempotency.js'

/** The events-and-jobs aggregate on MongoDB: intake, reads, sync (collections `events`, `jobs`, the change log). */
export function makeMongoEvents(context: MongoContext & IdempotentWrites): EventPort {
  const { guarded, transaction, ensureRevision, bumpRevision, assertNoOverlap, changeLog, idempotently } =
    context
  const { events, jobs } = context.collections
  return {
    submit: (submission) =>
      guarded(async () => {
        const { event } = submission
        if (event !== undefined) assertWritable(event)
        // An occupying event is held to the overlap rule as a plan's events are (and serialised with them).
        const occupies = event !== undefined && isPlacedAndOccupying(event)
        if (occupies) await ensureRevision(event.calendarId)
        if (event !== undefined) await changeLog.prepare([event.calendarId])
        return idempotently(submission.calendarId, submission.idempotency, async (session) => {
          if (event !== undefined) {
            if (occupies) await bumpRevision(session, event.calendarId)
            await events.insertOne(eventToDocument(event), { session })
            await assertNoOverlap(session, submission.job.id, [event])
            const { id, calendarId, updatedAt } = event
            await changeLog.record(session, [{ calendarId, eventId: id, deleted: false }], updatedAt)
          }
          await jobs.insertOne(jobToDocument(submission.job), { session })
          return { job: submission.job, event: event ?? null }
        })
      }),

    getEvent: (calendarId, id) =>
      guarded(async () => {
        const document = await events.findOne({ _id: recordKey(calendarId, id) })
        return document === null ? null : eventFromDocument(document)
      }),

    listEvents: (calendarId, query) =>
      guarded(async () => {
        await changeLog.prepare([calendarId])
        return transaction((session) => changeLog.listPage(session, events, calendarId, query))
      }),

    syncEvents: (calendarId, query) =>
      guarded(async () => {
        await changeLog.prepare([calendarId])
        return transaction((session) => changeLog.syncPage(session, events, calendarId, query))
      }),

    occupying: (calendarId, range) =>
      guarded(async () => {
        // An empty range overlaps nothing (not even an event that contains its instant).
        if (range.end <= range.start) return []
        const documents = await events
          .find({
            calendarId,
            status: 'scheduled',
            start: { $lt: toDate(range.end) },
            end: { $gt: toDate(range.start) },
          })
          .sort({ start: 1, _id: 1 })
          .toArray()
        return documents.map(eventFromDocument)
      }),

    getJob: (calendarId, id) =>
      guarded(async () => {
        const document = await jobs.findOne({ _id: recordKey(calendarId, id) })
        return document === null ? null : jobFromDocument(document)
      }),

    startJob: (calendarId, jobId) =>
      guarded(async () => {
        const started = await jobs.findOneAndUpdate(
          { _id: recordKey(calendarId, jobId), state: 'queued' },
          { $set: { state: 'active' } },
          { returnDocument: 'after' },
        )
        if (started !== null) return jobFromDocument(started)
        const document = await jobs.findOne({ _id: recordKey(calendarId, jobId) })
        return document === null ? null : jobFromDocument(document)
      }),

    unfinishedJobs: (createdBefore, limit) =>
      guarded(async () => {
        const count = atMost(limit)
        if (count === 0) return []
        const documents = await jobs
          .find({ state: { $in: ['queued', 'active'] }, createdAt: { $lt: toDate(createdBefore) } })
          .sort({ createdAt: 1, _id: 1 })
          .limit(count)
          .toArray()
        return documents.map(jobFromDocument)
      }),
  }
}
