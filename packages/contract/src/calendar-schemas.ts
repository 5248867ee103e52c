import { CALENDAR_ID_DEFAULT, WEEKDAYS, type Weekday } from '@scheduler/core'
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { dateTime, nullable, ref, requestDateTime } from './common-schemas.js'

const LocalTimeRangeSchema = Type.Object(
  {
    start: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'HH:MM, 00:00–23:59' }),
    end: Type.String({ pattern: '^\\d{2}:\\d{2}$', description: 'HH:MM, 00:00–24:00, after start' }),
  },
  { additionalProperties: false },
)

function week<T extends TSchema>(day: T): Record<Weekday, T> {
  return Object.fromEntries(WEEKDAYS.map((weekday) => [weekday, day])) as Record<Weekday, T>
}

export const WorkingHoursSchema = Type.Object(week(Type.Array(LocalTimeRangeSchema)), {
  $id: 'WorkingHours',
  additionalProperties: false,
  description: 'Per weekday, sorted non-overlapping local time ranges in the calendar time zone.',
})

export const BlackoutSchema = Type.Object(
  { start: dateTime(), end: dateTime(), reason: nullable(Type.String()) },
  { $id: 'Blackout', additionalProperties: false, description: 'A time range auto placement avoids.' },
)

export const CalendarSchema = Type.Object(
  {
    id: Type.String(),
    timezone: Type.String({ description: 'IANA time zone, e.g. `America/New_York`' }),
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
    timezone: Type.String({ minLength: 1, maxLength: 100 }),
    workingHours: Type.Object(
      week(Type.Optional(Type.Array(LocalTimeRangeSchema, { maxItems: MAX_RANGES_PER_DAY, default: [] }))),
      { additionalProperties: false, description: 'A weekday left out has no working hours' },
    ),
    bufferMinutes: Type.Integer({ description: '0–1440' }),
    slotMinutes: Type.Integer({ description: '1–1440' }),
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
