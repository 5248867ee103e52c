import type { EventStatus } from '@scheduler/core'
import type { Filter, Sort } from 'mongodb'
import type { CursorKeys } from '../cursor.js'
import type { EventListQuery } from '../port.js'
import { type EventDocument, recordKey, toDate, UNPLACED_SORT_KEY } from './mongo-documents.js'

// A client status as stored fields, with the clock-derived ones (in_progress, completed) read off `now`.
function statusClauses(status: EventStatus, now: Date): Filter<EventDocument>[] {
  switch (status) {
    case 'pending':
    case 'cancelled':
    case 'failed':
      return [{ status }]
    case 'scheduled':
      return [{ status: 'scheduled', start: { $gt: now } }]
    case 'in_progress':
      return [{ status: 'scheduled', start: { $lte: now }, end: { $gt: now } }]
    case 'completed':
      return [{ status: 'completed' }, { status: 'scheduled', end: { $lte: now } }]
  }
}

/** The filter of `listEvents`: the query's conditions and, given `after`, "after the cursor's event". */
export function listFilter(
  calendarId: string,
  query: EventListQuery,
  after?: CursorKeys,
): Filter<EventDocument> {
  const and: Filter<EventDocument>[] = []
  if (query.from !== undefined || query.to !== undefined) {
    // Type-bracketed comparisons never match null: events without a time drop out of a time filter.
    and.push({
      start: query.to === undefined ? { $type: 'date' } : { $type: 'date', $lt: toDate(query.to) },
      end: query.from === undefined ? { $type: 'date' } : { $type: 'date', $gt: toDate(query.from) },
    })
  }
  if (query.statuses !== undefined && query.statuses.length > 0) {
    const now = toDate(query.now)
    and.push({ $or: [...new Set(query.statuses)].flatMap((status) => statusClauses(status, now)) })
  }
  if (query.updatedSince !== undefined) and.push({ updatedAt: { $gte: toDate(query.updatedSince) } })
  if (after !== undefined) {
    // `_id` is { calendarId, id }: within the calendar, `$gt` compares the ids (bytewise).
    const afterKey = recordKey(calendarId, after.id)
    if (after.order === 'start') {
      const start = after.start === null ? UNPLACED_SORT_KEY : toDate(after.start)
      const createdAt = toDate(after.createdAt)
      // The `$gte` bound lets the index scan begin at the cursor; the `$or` drops the ties already seen.
      and.push({ startSort: { $gte: start } })
      and.push({
        $or: [
          { startSort: { $gt: start } },
          { startSort: start, createdAt: { $gt: createdAt } },
          { startSort: start, createdAt, _id: { $gt: afterKey } },
        ],
      })
    } else {
      const updatedAt = toDate(after.updatedAt)
      and.push({ updatedAt: { $gte: updatedAt } })
      and.push({ $or: [{ updatedAt: { $gt: updatedAt } }, { updatedAt, _id: { $gt: afterKey } }] })
    }
  }
  return and.length === 0 ? { calendarId } : { calendarId, $and: and }
}

/** The order of `listEvents`, which its keyset cursor follows; `events_by_start`/`events_by_updated` serve it. */
export function listSort(order: EventListQuery['order']): Sort {
  return order === 'start' ? { startSort: 1, createdAt: 1, _id: 1 } : { updatedAt: 1, _id: 1 }
}
