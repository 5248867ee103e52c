import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  CalendarSchema,
  type CalendarUpdateRequest,
  CalendarUpdateRequestSchema,
  ref,
  toCalendarResource,
} from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT, type CalendarSettings, canonicalTimeZone, WEEKDAYS } from '@scheduler/core'
import type { AnswerSpec } from '../../../plugins/app/idempotency.js'
import { ChangeHeaders, problemResponses } from '../../route-schemas.js'
import { instantAt } from '../../wire-input.js'
import feedTokenRoutes from './feed-tokens.js'

function settingsOf(body: CalendarUpdateRequest): CalendarSettings {
  return {
    id: CALENDAR_ID_DEFAULT,
    // Stored and answered as the tz database spells it; an unknown name stays as sent, for the 422.
    timezone: canonicalTimeZone(body.timezone) ?? body.timezone,
    workingHours: Object.fromEntries(
      WEEKDAYS.map((day) => [day, (body.workingHours[day] ?? []).map(({ start, end }) => ({ start, end }))]),
    ) as CalendarSettings['workingHours'],
    bufferMinutes: body.bufferMinutes,
    slotMinutes: body.slotMinutes,
    minNoticeMinutes: body.minNoticeMinutes,
    horizonDays: body.horizonDays,
    blackouts: (body.blackouts ?? []).map((blackout, i) => ({
      start: instantAt(`/body/blackouts/${i}/start`, blackout.start),
      end: instantAt(`/body/blackouts/${i}/end`, blackout.end),
      reason: blackout.reason ?? null,
    })),
  }
}

const CALENDAR_ANSWER: AnswerSpec<CalendarSettings> = {
  present: (settings) => ({ status: 200, body: toCalendarResource(settings) }),
}

/** The calendar's settings: working hours, time zone, slots, buffers, notice, horizon, blackouts. */
const calendarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      config: { scope: 'events:read' },
      schema: {
        tags: ['calendar'],
        summary: 'Get the calendar settings',
        operationId: 'getCalendar',
        response: { 200: ref(CalendarSchema) },
      },
    },
    async () => toCalendarResource(await app.services.calendar.get()),
  )

  app.put(
    '',
    {
      config: { scope: 'calendar:admin' },
      schema: {
        tags: ['calendar'],
        summary: 'Replace the calendar settings',
        operationId: 'replaceCalendar',
        description:
          'Applies to placements made from now on; events already placed keep their time. ' +
          'The time zone is stored and answered as the IANA tz database spells it (`america/new_york` → ' +
          '`America/New_York`). Settings that do not fit together (unknown time zone, overlapping ranges, ' +
          'a range overlapping one of the day before that runs past midnight, …) are a 422.',
        headers: ChangeHeaders,
        body: ref(CalendarUpdateRequestSchema),
        response: { 200: ref(CalendarSchema), ...problemResponses(400, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const settings = settingsOf(request.body)
      return app.idempotency.write(request, reply, CALENDAR_ANSWER, (key) =>
        app.services.calendar.replace(settings, key()),
      )
    },
  )

  await app.register(feedTokenRoutes, { prefix: '/feed-tokens' })
}

export default calendarRoutes
