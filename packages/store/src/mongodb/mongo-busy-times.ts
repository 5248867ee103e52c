import type { BusyTimePort } from '../port.js'
import type { MongoContext } from './mongo-context.js'
import { busyFromDocument, busyToDocument, toDate } from './mongo-documents.js'
import type { IdempotentWrites } from './mongo-idempotency.js'

/** The attendees' busy-times aggregate on MongoDB: collection `attendee_busy`. */
export function makeMongoBusyTimes(context: MongoContext & IdempotentWrites): BusyTimePort {
  const { guarded, ensureRevision, bumpRevision, idempotently } = context
  const { busy } = context.collections
  return {
    putBusy: (calendarId, email, intervals, write) =>
      guarded(async () => {
        await ensureRevision(calendarId)
        const address = normalizeEmail(email)
        return idempotently(calendarId, write, async (session) => {
          await bumpRevision(session, calendarId)
          await busy.deleteMany({ calendarId, email: address }, { session })
          if (intervals.length > 0) {
            await busy.insertMany(
              intervals.map((interval) => busyToDocument(calendarId, address, interval)),
              { session },
            )
          }
          return intervals
        })
      }),

    getBusy: (calendarId, email) =>
      guarded(async () => {
        const documents = await busy
          .find({ calendarId, email: normalizeEmail(email) })
          .sort({ start: 1, end: 1 })
          .toArray()
        return documents.map(busyFromDocument)
      }),

    busyOverlapping: (calendarId, emails, range) =>
      guarded(async () => {
        if (emails.length === 0) return []
        const documents = await busy
          .find({
            calendarId,
            email: { $in: emails.map(normalizeEmail) },
            start: { $lt: toDate(range.end) },
            end: { $gt: toDate(range.start) },
          })
          .sort({ start: 1, end: 1 })
          .toArray()
        return documents.map(busyFromDocument)
      }),
  }
}

// Addresses are compared case-insensitively, as the PostgreSQL adapter does.
function normalizeEmail(email: string): string {
  return email.toLowerCase()
}
