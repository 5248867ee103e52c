import { CALENDAR_ID_DEFAULT, type CalendarSettings, type EventRecord, type Instant } from '@scheduler/core'
import type { FeedTokenRecord, Store } from '@scheduler/store'
import { feedEvents } from './calendar-feed.js'
import { NotFoundError } from './domain-errors.js'
import { feedTokenHash, newFeedToken, tokenMatches } from './feed-token-secrets.js'
import {
  type Idempotent,
  type IdempotentRequest,
  type IdempotentWrites,
  mapDone,
} from './idempotency-service.js'

export interface FeedTokenServiceDeps {
  store: Pick<
    Store,
    | 'createFeedToken'
    | 'listFeedTokens'
    | 'findFeedTokenByHash'
    | 'deleteFeedToken'
    | 'getCalendar'
    | 'listEvents'
  >
  writes: IdempotentWrites
  clock: () => Instant
  /** A new feed token id, `ftk_…`. */
  mintId: () => string
}

/** A token just created: its record and the token itself, which is shown only now. */
export interface CreatedFeedToken {
  record: FeedTokenRecord
  token: string
}

/** What the calendar feed shows: the calendar and its events (see `feedEvents`). */
export interface CalendarFeed {
  calendar: CalendarSettings
  events: EventRecord[]
}

const calendarId = CALENDAR_ID_DEFAULT
const UNKNOWN_TOKEN = 'No calendar feed has this token (unknown or revoked)'

/**
 * Read-only tokens for the calendar's ICS feed, and the feed itself. Only a token's SHA-256 is stored; an
 * unknown or revoked token is `NotFoundError`.
 */
export function makeFeedTokenService(deps: FeedTokenServiceDeps) {
  const { store, writes } = deps
  return {
    async create(
      label: string | null,
      request: IdempotentRequest<CreatedFeedToken> | null,
    ): Promise<Idempotent<CreatedFeedToken>> {
      const now = deps.clock()
      return writes.run(request, now, async (record) => {
        const { token, tokenHash } = newFeedToken()
        const created: CreatedFeedToken = {
          record: { id: deps.mintId(), calendarId, label, tokenHash, createdAt: now },
          token,
        }
        return mapDone(await store.createFeedToken(created.record, record(created)), () => created)
      })
    },

    /** Every token of the calendar, oldest first. */
    list(): Promise<FeedTokenRecord[]> {
      return store.listFeedTokens(calendarId)
    },

    /** Revokes a token; revoking an unknown one is `NotFoundError` (and records no key). */
    async revoke(id: string, request: IdempotentRequest<void> | null): Promise<Idempotent<void>> {
      return writes.run(request, deps.clock(), async (record) => {
        const result = await store.deleteFeedToken(calendarId, id, record())
        if (result.kind === 'done' && !result.value)
          throw new NotFoundError(`Feed token ${id} does not exist`)
        return mapDone(result, () => undefined)
      })
    },

    /** The feed a token opens: its calendar and the events shown now. */
    async feed(token: string): Promise<CalendarFeed> {
      const tokenHash = feedTokenHash(token)
      const feedToken = tokenHash === null ? null : await store.findFeedTokenByHash(tokenHash)
      if (feedToken === null || !tokenMatches(token, feedToken.tokenHash))
        throw new NotFoundError(UNKNOWN_TOKEN)
      const calendar = await store.getCalendar(feedToken.calendarId)
      if (!calendar) throw new Error(`Calendar ${feedToken.calendarId} is missing`)
      return { calendar, events: await feedEvents(store, calendar, deps.clock()) }
    },
  }
}

export type FeedTokenService = ReturnType<typeof makeFeedTokenService>
