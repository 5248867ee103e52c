import {
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  type Instant,
  validateCalendarSettings,
} from '@scheduler/core'
import type { Store } from '@scheduler/store'
import { type InputIssue, InvalidInputError } from './domain-errors.js'
import type { Idempotent, IdempotentRequest, IdempotentWrites } from './idempotency-service.js'

export interface CalendarServiceDeps {
  store: Pick<Store, 'getCalendar' | 'putCalendar'>
  writes: IdempotentWrites
  clock: () => Instant
}

/** Core's `path: message` problems (`workingHours.mon[0].start: …`) as issues at JSON pointers (`/workingHours/mon/0/start`). */
export function settingsIssueOf(problem: string): InputIssue {
  const separator = problem.indexOf(': ')
  if (separator < 0) return { field: '', message: problem }
  const path = problem
    .slice(0, separator)
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
    .join('/')
  return { field: `/${path}`, message: problem.slice(separator + 2) }
}

/** The calendar's settings: working hours, time zone, slots, buffers, notice, horizon, blackouts. */
export function makeCalendarService(deps: CalendarServiceDeps) {
  const { store, writes } = deps
  return {
    async get(): Promise<CalendarSettings> {
      const settings = await store.getCalendar(CALENDAR_ID_DEFAULT)
      if (!settings) throw new Error(`Calendar ${CALENDAR_ID_DEFAULT} is missing`)
      return settings
    },

    /**
     * Replaces the settings (placements made from now on follow them) and answers them as stored. Settings
     * that do not fit together are `InvalidInputError`, one issue per problem core's policy finds.
     */
    async replace(
      settings: CalendarSettings,
      request: IdempotentRequest<CalendarSettings> | null,
    ): Promise<Idempotent<CalendarSettings>> {
      const problems = validateCalendarSettings(settings)
      if (problems.length > 0) throw new InvalidInputError(problems.map(settingsIssueOf), problems.join('; '))
      return writes.run(request, deps.clock(), (record) => store.putCalendar(settings, record(settings)))
    },
  }
}

export type CalendarService = ReturnType<typeof makeCalendarService>
