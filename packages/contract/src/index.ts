import type { TSchema } from '@sinclair/typebox'
import {
  AttachmentListSchema,
  AttachmentSchema,
  AttachmentUploadRequestSchema,
} from './attachment-schemas.js'
import { AvailabilitySchema, BusyTimesRequestSchema, BusyTimesSchema } from './availability-schemas.js'
import {
  BlackoutSchema,
  CalendarSchema,
  CalendarUpdateRequestSchema,
  WorkingHoursSchema,
} from './calendar-schemas.js'
import { IntervalSchema, ProblemSchema } from './common-schemas.js'
import {
  AttendeeSchema,
  DisplacementSchema,
  EventAcceptedSchema,
  EventCreateRequestSchema,
  EventPageSchema,
  EventPatchRequestSchema,
  EventSchema,
  EventStatusViewSchema,
  EventTombstoneSchema,
  EventWindowSchema,
  FailureSchema,
  JobSchema,
  PreviewSchema,
} from './event-schemas.js'
import {
  DeliverySchema,
  WebhookCreatedSchema,
  WebhookCreateRequestSchema,
  WebhookSchema,
} from './webhook-schemas.js'

export * from './attachment-schemas.js'
export * from './availability-schemas.js'
export * from './calendar-schemas.js'
export * from './common-schemas.js'
export * from './event-schemas.js'
export * from './presenters.js'
export * from './text-rule.js'
export * from './webhook-schemas.js'
export * from './wire-time.js'

/**
 * Every schema with an `$id`: register them all (`fastify.addSchema`, `ajv.addSchema`) before compiling
 * a schema that references one of them.
 */
export const contractSchemas: readonly TSchema[] = [
  IntervalSchema,
  ProblemSchema,
  AttendeeSchema,
  EventWindowSchema,
  FailureSchema,
  EventSchema,
  EventStatusViewSchema,
  EventTombstoneSchema,
  EventPageSchema,
  DisplacementSchema,
  EventAcceptedSchema,
  PreviewSchema,
  JobSchema,
  EventCreateRequestSchema,
  EventPatchRequestSchema,
  WorkingHoursSchema,
  BlackoutSchema,
  CalendarSchema,
  CalendarUpdateRequestSchema,
  WebhookSchema,
  WebhookCreatedSchema,
  DeliverySchema,
  WebhookCreateRequestSchema,
  AttachmentSchema,
  AttachmentListSchema,
  AttachmentUploadRequestSchema,
  BusyTimesRequestSchema,
  BusyTimesSchema,
  AvailabilitySchema,
]
