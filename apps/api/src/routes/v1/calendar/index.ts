import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  CalendarSchema,
  type CalendarUpdateRequest,
  CalendarUpdateRequestSchema,
  ref,
  toCalendarResource,
} from '@scheduler/contract'
import {
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  canonicalTimeZone,
  validateCalendarSettings,
  WEEKDAYS,
} from '@scheduler/core'
import { type FieldError, UnprocessableProblem } from '../../../errors.js'
import { instantAt } from '../../../services/event-requests.js'
import { ChangeHeaders, problemResponses } from '../../route-schemas.js'
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

/** Core's `path: message` problems (`workingHours.mon[0].start: …`) as JSON pointers into the body. */
function fieldErrorOf(problem: string): FieldError {
  const separator = problem.indexOf(': ')
  if (separator < 0) return { path: '/body', message: problem }
  const path = problem
    .slice(0, separator)
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .join('/')
  return { path: `/body/${path}`, message: problem.slice(separator + 2) }
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
    async () => {
      const settings = await app.store.getCalendar(CALENDAR_ID_DEFAULT)
      if (!settings) throw new Error(`Calendar ${CALENDAR_ID_DEFAULT} is missing`)
      return toCalendarResource(settings)
    },
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
      const problems = validateCalendarSettings(settings)
      if (problems.length > 0) {
        throw new UnprocessableProblem(problems.join('; '), problems.map(fieldErrorOf))
      }
      const context = app.idempotency.of(request)
      const now = Date.now()
      const stored = await app.idempotency.lookup(context, now)
      if (stored) return app.idempotency.replay(reply, stored)
      const body = toCalendarResource(settings)
      const result = await app.store.putCalendar(
        settings,
        app.idempotency.record(context, { status: 200, body }, now),
      )
      if (result.kind === 'replay' && context)
        return app.idempotency.replay(reply, app.idempotency.answerOf(context, result.record))
      return toCalendarResource(result.kind === 'done' ? result.value : settings)
    },
  )

  await app.register(feedTokenRoutes, { prefix: '/feed-tokens' })
}

export default calendarRoutes
