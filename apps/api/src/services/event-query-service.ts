import { CALENDAR_ID_DEFAULT, type EventRecord, type Instant, type JobRecord } from '@scheduler/core'
import type { EventChangePage, EventListQuery, EventPage, EventSyncQuery, Store } from '@scheduler/store'
import { NotFoundError } from './domain-errors.js'

export interface EventQueryDeps {
  store: Pick<Store, 'getEvent' | 'listEvents' | 'syncEvents' | 'getJob'>
  clock: () => Instant
}

/** Something read, and the instant it was read at (statuses such as `in_progress` are derived from it). */
export interface Observed<T> {
  value: T
  at: Instant
}

const calendarId = CALENDAR_ID_DEFAULT

/**
 * Reading events and jobs. A cursor of another listing is the store's `InvalidCursorError`, an expired sync
 * token its `SyncTokenExpiredError`; an unknown id `NotFoundError`.
 */
export function makeEventQueries(deps: EventQueryDeps) {
  const { store } = deps
  return {
    /** One page of the listing, its statuses derived at the instant answered. */
    async list(query: Omit<EventListQuery, 'now'>): Promise<Observed<EventPage>> {
      const at = deps.clock()
      return { value: await store.listEvents(calendarId, { ...query, now: at }), at }
    },

    /** The changes since a sync token. */
    async sync(query: EventSyncQuery): Promise<Observed<EventChangePage>> {
      const value = await store.syncEvents(calendarId, query)
      return { value, at: deps.clock() }
    },

    async get(eventId: string): Promise<Observed<EventRecord>> {
      const event = await store.getEvent(calendarId, eventId)
      if (!event) throw new NotFoundError(`Event ${eventId} does not exist`)
      return { value: event, at: deps.clock() }
    },

    async job(jobId: string): Promise<JobRecord> {
      const job = await store.getJob(calendarId, jobId)
      if (!job) throw new NotFoundError(`Job ${jobId} does not exist`)
      return job
    },
  }
}

export type EventQueries = ReturnType<typeof makeEventQueries>
