import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { calendarFeedText } from './calendar-ics.js'
import { problemResponses } from './route-schemas.js'

const FeedQuery = Type.Object(
  {
    token: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'A feed token from `POST /v1/calendar/feed-tokens`',
    }),
  },
  { additionalProperties: false },
)

/**
 * `GET /v1/calendar.ics?token=…`: the calendar as iCalendar for subscribing calendar apps. It sits outside
 * the `/v1` plugin on purpose: calendar apps cannot send a bearer token, so the feed token in the query is
 * the credential. An unknown or revoked token is a 404 (never a 401: nothing to sign in to).
 */
const calendarFeedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/calendar.ics',
    {
      schema: {
        tags: ['calendar'],
        operationId: 'getCalendarFeed',
        summary: 'The calendar as an ICS feed',
        description:
          'RFC 5545 `text/calendar` with the scheduled, in-progress and completed events of the last 30 days ' +
          'and of the horizon; cancelled ones as `STATUS:CANCELLED`. `UID` is `<eventId>@scheduler-api` ' +
          '(stable across reschedules) and `SEQUENCE` the event’s sequence. Times are UTC; the calendar’s ' +
          'zone is in `X-WR-TIMEZONE`. No bearer token: the feed token in the query is the credential.',
        security: [],
        querystring: FeedQuery,
        response: {
          200: {
            description: 'The calendar',
            content: { 'text/calendar': { schema: Type.String() } },
          },
          ...problemResponses(400, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { calendar, events } = await app.services.feedTokens.feed(request.query.token)
      return reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', 'inline; filename="calendar.ics"')
        .send(calendarFeedText(calendar, events))
    },
  )
}

export default calendarFeedRoutes
