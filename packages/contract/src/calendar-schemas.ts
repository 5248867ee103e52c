import { CALENDAR_ID_DEFAULT, WEEKDAYS, type Weekday } from '@scheduler/core'
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { dateTime, nullable, ref, requestDateTime } from './common-schemas.js'

const LocalTimeRangeSchema = Type.Object(
  {
    start: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'HH:MM, 00:00–23:59' }),
    end: Type.String({
      pattern: '^\\d{2}:\\d{2}$',
      description: 'HH:MM, 00:00–24:00; not after `start`: on the next day (equal to `start`: 24 hours)',
    }),
  },
  { additionalProperties: false },
)

function week<T extends TSchema>(day: T): Record<Weekday, T> {
  return Object.fromEntries(WEEKDAYS.map((weekday) => [weekday, day])) as Record<Weekday, T>
}

export const WorkingHoursSchema = Type.Object(week(Type.Array(LocalTimeRangeSchema)), {
  $id: 'WorkingHours',
  additionalProperties: false,
  description:
    'Per weekday, sorted non-overlapping local time ranges in the calendar time zone. A range whose `end` ' +
    'is not after its `start` runs into the next day (`22:00`–`02:00`; `00:00`–`00:00` is 24 hours); it ' +
    'may not overlap the next day’s ranges. Ranges that touch, across midnight too (mon `22:00`–`24:00` ' +
    'with tue `00:00`–`02:00`), are one stretch of working time, across DST changes as well, so an auto ' +
    'event may span midnight. Auto slots start every `slotMinutes` of local time counted from where each ' +
    'stretch begins (09:30–17:00 with 60-minute slots: 09:30, 10:30, …; a stretch begun at 22:00 the day ' +
    'before goes on 00:00, 01:00, …); working hours without any gap in the week count from each local midnight.',
})

export const BlackoutSchema = Type.Object(
  { start: dateTime(), end: dateTime(), reason: nullable(Type.String()) },
  { $id: 'Blackout', additionalProperties: false, description: 'A time range auto placement avoids.' },
)

export const CalendarSchema = Type.Object(
  {
    id: Type.String(),
    timezone: Type.String({
      description: 'IANA time zone as the tz database spells it, e.g. `America/New_York`',
    }),
    workingHours: ref(WorkingHoursSchema),
    bufferMinutes: Type.Integer(),
    slotMinutes: Type.Integer(),
    minNoticeMinutes: Type.Integer(),
    horizonDays: Type.Integer(),
    blackouts: Type.Array(ref(BlackoutSchema)),
  },
  { $id: 'Calendar', additionalProperties: false },
)
export type CalendarResource = Static<typeof CalendarSchema>

const MAX_RANGES_PER_DAY = 48
const MAX_BLACKOUTS = 1000

export const CalendarUpdateRequestSchema = Type.Object(
  {
    id: Type.Optional(
      Type.Literal(CALENDAR_ID_DEFAULT, { description: 'v1 serves the one calendar `default`' }),
    ),
    timezone: Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'IANA time zone in any letter case (`america/new_york`); stored as the tz database spells it ' +
        '(`America/New_York`; a link such as `US/Eastern` or `Etc/UTC` is kept as named). Unknown: 422',
    }),
    workingHours: Type.Object(
      week(Type.Optional(Type.Array(LocalTimeRangeSchema, { maxItems: MAX_RANGES_PER_DAY, default: [] }))),
      { additionalProperties: false, description: 'A weekday left out has no working hours' },
    ),
    bufferMinutes: Type.Integer({ description: '0–1440' }),
    slotMinutes: Type.Integer({
      description: '1–1440: auto events start every this many minutes from where working time begins',
    }),
    minNoticeMinutes: Type.Integer({ description: '≥ 0' }),
    horizonDays: Type.Integer({ description: '1–3650' }),
    blackouts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            start: requestDateTime(),
            end: requestDateTime(),
            reason: Type.Optional(nullable(Type.String({ maxLength: 500 }))),
          },
          { additionalProperties: false },
        ),
        { maxItems: MAX_BLACKOUTS, default: [] },
      ),
    ),
  },
  {
    $id: 'CalendarUpdateRequest',
    additionalProperties: false,
    description: 'The complete settings (PUT replaces them); ranges are checked against each other (422).',
  },
)
export type CalendarUpdateRequest = Static<typeof CalendarUpdateRequestSchema>
