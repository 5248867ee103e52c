import { SUPPORTED_RANGE_TEXT } from '@scheduler/core'
import { type Static, type TSchema, Type } from '@sinclair/typebox'

/**
 * A reference to a schema with an `$id`, typed as that schema. Shared schemas are referenced rather than
 * embedded so that the OpenAPI document shows them once, as components, and ajv registers each `$id` once.
 */
export function ref<T extends TSchema>(schema: T) {
  if (!schema.$id) throw new Error('Only schemas with an $id can be referenced')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id))
}

/** The schema or `null`. */
export function nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()])
}

/** An RFC 3339 date-time; the offset is required (`Z` or `±hh:mm`). */
export function dateTime(description?: string) {
  return Type.String({ format: 'date-time', ...(description ? { description } : {}) })
}

/** What the API says of every instant a request carries (core's `SUPPORTED_RANGE`). */
export const INSTANT_RANGE_RULE = `Must lie ${SUPPORTED_RANGE_TEXT} (else 422)`

/** An RFC 3339 date-time in a request: the supported range of instants applies (422 outside it). */
export function requestDateTime(description?: string) {
  return dateTime(description ? `${description}. ${INSTANT_RANGE_RULE}` : INSTANT_RANGE_RULE)
}

/** A calendar-local date, `YYYY-MM-DD`. */
export function localDate(description?: string) {
  return Type.String({ format: 'date', ...(description ? { description } : {}) })
}

export const IntervalSchema = Type.Object(
  {
    start: dateTime('Inclusive start, RFC 3339'),
    end: dateTime('Exclusive end, RFC 3339'),
  },
  {
    $id: 'Interval',
    additionalProperties: false,
    description: `A half-open time interval [start, end). In a request, both instants must lie ${SUPPORTED_RANGE_TEXT} (else 422).`,
  },
)
export type IntervalResource = Static<typeof IntervalSchema>

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI reference naming the kind of problem' }),
    title: Type.String({ description: 'A short summary of the kind of problem' }),
    status: Type.Integer({ minimum: 100, maximum: 599 }),
    detail: Type.String({ description: 'What went wrong with this request' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object(
          {
            path: Type.String({ description: 'JSON pointer into the request, e.g. `/body/title`' }),
            message: Type.String(),
          },
          { additionalProperties: false },
        ),
        { description: 'Every invalid part of the request (validation failures)' },
      ),
    ),
    requestId: Type.Optional(Type.String({ description: 'The request id, also found in the server logs' })),
  },
  {
    $id: 'Problem',
    additionalProperties: false,
    description: 'An RFC 9457 problem document (`application/problem+json`).',
  },
)
export type ProblemResource = Static<typeof ProblemSchema>
