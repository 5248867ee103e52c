import {
  type CalendarSettings,
  canonicalTimeZone,
  clientStatus,
  type DeliveryRecord,
  type Displacement,
  type EventRecord,
  type Failure,
  type Instant,
  type JobRecord,
  type PlacementWindow,
  type WebhookRecord,
} from '@scheduler/core'
import type { CalendarResource } from './calendar-schemas.js'
import type {
  DisplacementResource,
  EventResource,
  EventStatusViewResource,
  EventTombstoneResource,
  EventWindowResource,
  FailureResource,
  JobResource,
} from './event-schemas.js'
import type { DeliveryResource, WebhookCreatedResource, WebhookResource } from './webhook-schemas.js'
import { toIntervalResource, toWireInstant, toWireInstantOrNull } from './wire-time.js'

/** A deleted event in a sync answer. */
export function toEventTombstoneResource(id: string, deletedAt: Instant): EventTombstoneResource {
  return { id, deleted: true, deletedAt: toWireInstant(deletedAt) }
}

/**
 * The wire representation of an event as seen at `now`: instants as RFC 3339 UTC with milliseconds, the
 * status derived from the clock (`in_progress`, `completed`). Used by the API and for webhook payloads.
 */
export function toEventResource(record: EventRecord, now: Instant): EventResource {
  return {
    id: record.id,
    title: record.title,
    description: record.description,
    location: record.location,
    attendees: record.attendees.map((attendee) => ({
      email: attendee.email,
      ...(attendee.name === undefined ? {} : { name: attendee.name }),
      required: attendee.required,
    })),
    durationMinutes: record.durationMinutes,
    placement: record.placement,
    window: toWindowResource(record.window),
    start: toWireInstantOrNull(record.start),
    end: toWireInstantOrNull(record.end),
    status: clientStatus(record, now),
    failure: record.failure === null ? null : toFailureResource(record.failure),
    attendeeConflicts: [...record.attendeeConflicts],
    outsideWorkingHours: record.outsideWorkingHours,
    version: record.version,
    createdAt: toWireInstant(record.createdAt),
    updatedAt: toWireInstant(record.updatedAt),
  }
}

/** `GET /v1/events/{id}/status`: the fields a poller needs. */
export function toEventStatusResource(record: EventRecord, now: Instant): EventStatusViewResource {
  return {
    id: record.id,
    status: clientStatus(record, now),
    start: toWireInstantOrNull(record.start),
    end: toWireInstantOrNull(record.end),
    failure: record.failure === null ? null : toFailureResource(record.failure),
    updatedAt: toWireInstant(record.updatedAt),
  }
}

/** `{date}`, `{notBefore, notAfter}` without the null bounds, or null (anywhere within the horizon). */
export function toWindowResource(window: PlacementWindow): EventWindowResource | null {
  if (window === null) return null
  if (window.kind === 'date') return { date: window.date }
  if (window.notBefore === null && window.notAfter === null) return null
  return {
    ...(window.notBefore === null ? {} : { notBefore: toWireInstant(window.notBefore) }),
    ...(window.notAfter === null ? {} : { notAfter: toWireInstant(window.notAfter) }),
  }
}

export function toFailureResource(failure: Failure): FailureResource {
  return {
    code: failure.code,
    message: failure.message,
    alternatives: failure.alternatives.map(toIntervalResource),
  }
}

export function toDisplacementResource(displacement: Displacement): DisplacementResource {
  return {
    eventId: displacement.eventId,
    from: toIntervalResource(displacement.from),
    to: displacement.to === null ? null : toIntervalResource(displacement.to),
  }
}

export function toJobResource(job: JobRecord): JobResource {
  return {
    id: job.id,
    type: job.type,
    eventId: job.eventId,
    state: job.state,
    outcome: job.outcome === null ? null : { displaced: job.outcome.displaced.map(toDisplacementResource) },
    error: job.error === null ? null : { code: job.error.code, message: job.error.message },
    createdAt: toWireInstant(job.createdAt),
    finishedAt: toWireInstantOrNull(job.finishedAt),
  }
}

export function toCalendarResource(settings: CalendarSettings): CalendarResource {
  const { workingHours } = settings
  const day = (ranges: CalendarSettings['workingHours']['mon']) =>
    ranges.map((range) => ({ start: range.start, end: range.end }))
  return {
    id: settings.id,
    timezone: canonicalTimeZone(settings.timezone) ?? settings.timezone,
    workingHours: {
      mon: day(workingHours.mon),
      tue: day(workingHours.tue),
      wed: day(workingHours.wed),
      thu: day(workingHours.thu),
      fri: day(workingHours.fri),
      sat: day(workingHours.sat),
      sun: day(workingHours.sun),
    },
    bufferMinutes: settings.bufferMinutes,
    slotMinutes: settings.slotMinutes,
    minNoticeMinutes: settings.minNoticeMinutes,
    horizonDays: settings.horizonDays,
    blackouts: settings.blackouts.map((blackout) => ({
      ...toIntervalResource(blackout),
      reason: blackout.reason,
    })),
  }
}

/** A webhook without its secret (lists, reads). */
export function toWebhookResource(webhook: WebhookRecord): WebhookResource {
  return {
    id: webhook.id,
    url: webhook.url,
    events: [...webhook.events],
    description: webhook.description,
    createdAt: toWireInstant(webhook.createdAt),
  }
}

/** A webhook with its secret: only the answer to its creation. */
export function toWebhookCreatedResource(webhook: WebhookRecord): WebhookCreatedResource {
  return { ...toWebhookResource(webhook), secret: webhook.secret }
}

export function toDeliveryResource(delivery: DeliveryRecord): DeliveryResource {
  return {
    id: delivery.id,
    messageId: delivery.messageId,
    type: delivery.type,
    eventId: delivery.eventId,
    attempt: delivery.attempt,
    status: delivery.status,
    responseStatus: delivery.responseStatus,
    error: delivery.error,
    at: toWireInstant(delivery.at),
  }
}
