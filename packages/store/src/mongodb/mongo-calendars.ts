import type { CalendarSettingsPort } from '../port.js'
import type { MongoContext } from './mongo-context.js'
import { calendarFromDocument, calendarToDocument } from './mongo-documents.js'
import type { IdempotentWrites } from './mongo-idempotency.js'

/** The calendar-settings aggregate on MongoDB: collection `calendars` (revisions in `calendar_revisions`). */
export function makeMongoCalendars(context: MongoContext & IdempotentWrites): CalendarSettingsPort {
  const { guarded, ensureRevision, bumpRevision, idempotently } = context
  const { calendars } = context.collections
  return {
    getCalendar: (calendarId) =>
      guarded(async () => {
        const document = await calendars.findOne({ _id: calendarId })
        return document === null ? null : calendarFromDocument(document)
      }),

    ensureCalendar: (initial) =>
      guarded(async () => {
        const { _id, ...fields } = calendarToDocument(initial)
        const document = await calendars.findOneAndUpdate(
          { _id },
          { $setOnInsert: fields },
          { upsert: true, returnDocument: 'after' },
        )
        return document === null ? initial : calendarFromDocument(document)
      }),

    putCalendar: (settings, write) =>
      guarded(async () => {
        await ensureRevision(settings.id)
        return idempotently(settings.id, write, async (session) => {
          await calendars.replaceOne({ _id: settings.id }, calendarToDocument(settings), {
            upsert: true,
            session,
          })
          await bumpRevision(session, settings.id)
          return settings
        })
      }),
  }
}
