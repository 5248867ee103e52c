import { newId } from '@scheduler/core'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { makeAttachmentService } from '../../services/attachment-service.js'
import { makeAttendeeService } from '../../services/attendee-service.js'
import { makeAvailability } from '../../services/availability-service.js'
import { makeCalendarService } from '../../services/calendar-service.js'
import { makeEventIntake } from '../../services/event-intake-service.js'
import { makeEventPreview } from '../../services/event-preview-service.js'
import { makeEventQueries } from '../../services/event-query-service.js'
import { newFeedTokenId } from '../../services/feed-token-secrets.js'
import { makeFeedTokenService } from '../../services/feed-token-service.js'
import { makeIdempotentWrites } from '../../services/idempotency-service.js'
import { makeReadiness } from '../../services/readiness-service.js'
import { makeWebhookService } from '../../services/webhook-service.js'

/** The application layer: one service per aggregate, each given only the store methods it uses. */
function makeServices(app: FastifyInstance) {
  const { store } = app
  const clock = Date.now
  const mintId = newId
  const writes = makeIdempotentWrites({ store })
  return {
    intake: makeEventIntake({
      store,
      writes,
      placementQueue: app.placementQueue,
      redis: app.redis,
      log: app.log,
      clock,
      mintId,
    }),
    preview: makeEventPreview({ store, clock }),
    events: makeEventQueries({ store, clock }),
    availability: makeAvailability({ store, clock }),
    calendar: makeCalendarService({ store, writes, clock }),
    feedTokens: makeFeedTokenService({ store, writes, clock, mintId: newFeedTokenId }),
    attendees: makeAttendeeService({ store, writes, clock }),
    webhooks: makeWebhookService({
      store,
      writes,
      clock,
      mintId,
      addressPolicy: { allowLoopback: app.config.WEBHOOK_ALLOW_LOOPBACK },
    }),
    attachments: makeAttachmentService({ store, writes, clock, mintId }),
    readiness: makeReadiness({ redis: app.redis, store }),
  }
}

export type Services = ReturnType<typeof makeServices>

declare module 'fastify' {
  interface FastifyInstance {
    /** The application layer (`services/`): routes parse, call one of these, and present the answer. */
    services: Services
  }
}

/** Builds the services once, on the store, the placement queue, the clock and the id minting. */
export default fp(
  async (app: FastifyInstance) => {
    app.decorate('services', makeServices(app))
  },
  { name: 'services', dependencies: ['env', 'redis', 'store'] },
)
