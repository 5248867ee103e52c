import { type Static, Type } from '@sinclair/typebox'
import { IntervalSchema, ref } from './common-schemas.js'

/** How many busy intervals one attendee may have registered. */
export const MAX_BUSY_INTERVALS = 1000
/** How many slots one availability answer lists at most. */
export const MAX_AVAILABILITY_SLOTS = 500

export const BusyTimesRequestSchema = Type.Object(
  {
    busy: Type.Array(ref(IntervalSchema), {
      maxItems: MAX_BUSY_INTERVALS,
      description: `At most ${MAX_BUSY_INTERVALS} intervals, each with end after start; [] clears them`,
    }),
  },
  {
    $id: 'BusyTimesRequest',
    additionalProperties: false,
    description: 'Every known busy time of one attendee: replaces what was registered before.',
  },
)
export type BusyTimesRequest = Static<typeof BusyTimesRequestSchema>

export const BusyTimesSchema = Type.Object(
  {
    email: Type.String({ description: 'The attendee, lower-cased' }),
    busy: Type.Array(ref(IntervalSchema), { description: 'By start, then end' }),
  },
  {
    $id: 'BusyTimes',
    additionalProperties: false,
    description:
      'The busy times registered for an attendee. Auto placement keeps required attendees free of them.',
  },
)
export type BusyTimesResource = Static<typeof BusyTimesSchema>

export const AvailabilitySchema = Type.Object(
  {
    slots: Type.Array(ref(IntervalSchema), {
      maxItems: MAX_AVAILABILITY_SLOTS,
      description: 'Feasible slots, earliest first',
    }),
  },
  {
    $id: 'Availability',
    additionalProperties: false,
    description: 'The slots auto placement would consider for an event of the given duration and attendees.',
  },
)
export type AvailabilityResource = Static<typeof AvailabilitySchema>
