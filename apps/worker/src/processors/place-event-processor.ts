import { toEventResource } from '@scheduler/contract'
import {
  type Attendee,
  type EventRecord,
  type Instant,
  type Interval,
  type JobPlan,
  type JobRecord,
  planJob,
} from '@scheduler/core'
import { newId, type PlacementJobData } from '@scheduler/jobs'
import { type OutboxMessage, StaleJobError, type Store } from '@scheduler/store'
import { type Job, UnrecoverableError } from 'bullmq'

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000

export type PlacementStore = Pick<
  Store,
  'startJob' | 'getEvent' | 'getCalendar' | 'occupying' | 'busyOverlapping' | 'applyPlan' | 'failJob'
>

export interface PlaceEventDependencies {
  store: PlacementStore
  clock: () => Instant
  /** Called after a plan is applied (wakes the outbox dispatcher, counts metrics). */
  onApplied?: (job: JobRecord, plan: JobPlan, durationMs: number) => void
}

/**
 * The placement worker's processor: the calendar's only writer. It loads what `planJob` needs, lets the
 * core decide, and applies the answer in one store transaction together with the job's end state and the
 * outbox messages. A job that was finished already (a redelivery after a crash) is recognised and skipped.
 */
export function createPlaceEventProcessor(deps: PlaceEventDependencies) {
  const { store, clock } = deps

  return async function placeEvent(bullJob: Job<PlacementJobData>): Promise<void> {
    const { calendarId, jobId } = bullJob.data
    const started = clock()
    const job = await store.startJob(calendarId, jobId)
    if (!job) throw new UnrecoverableError(`Job ${jobId} is not in the store`)
    if (job.state === 'completed' || job.state === 'failed') return

    const settings = await store.getCalendar(calendarId)
    if (!settings) throw new Error(`Calendar ${calendarId} has no settings yet`)
    const event = await store.getEvent(calendarId, job.eventId)
    const now = clock()

    const range = loadRange(job, event, now, settings.horizonDays, settings.bufferMinutes)
    const occupying = await store.occupying(calendarId, range)
    const changedAttendees = job.payload.type === 'update' ? (job.payload.changes.attendees ?? []) : []
    const attendees = [event?.attendees ?? [], changedAttendees, ...occupying.map((other) => other.attendees)]
    const busy = await loadBusy(store, calendarId, attendees.flat(), range)

    const plan = planJob({ job, event, settings, now, occupying, busy })
    try {
      await store.applyPlan({
        calendarId,
        jobId,
        upserts: plan.upserts,
        deletions: plan.deletions,
        job: { ...plan.job, finishedAt: now },
        messages: plan.notifications.map((notification) => ({
          id: newId('msg'),
          calendarId,
          type: notification.type,
          eventId: notification.event.id,
          data: {
            event: toEventResource(notification.event, now),
            sequence: notification.event.sequence,
            previous: notification.previous && intervalResource(notification.previous),
          },
          createdAt: now,
          dispatchedAt: null,
        })) satisfies OutboxMessage[],
      })
    } catch (error) {
      if (error instanceof StaleJobError) return
      throw error
    }
    deps.onApplied?.(job, plan, clock() - started)
  }
}

/**
 * The time span whose occupying events can matter: from now to the end of the horizon, widened to cover a
 * fixed start beyond it. Never the whole calendar.
 */
function loadRange(
  job: JobRecord,
  event: EventRecord | null,
  now: Instant,
  horizonDays: number,
  bufferMinutes: number,
): Interval {
  let end = now + horizonDays * DAY_MS
  const requested =
    job.payload.type === 'update' && job.payload.changes.when?.placement === 'fixed'
      ? job.payload.changes.when.start
      : event?.requestedStart
  if (requested != null) {
    const duration =
      (job.payload.type === 'update' && job.payload.changes.durationMinutes) || event?.durationMinutes || 0
    end = Math.max(end, requested + (duration + bufferMinutes) * MINUTE_MS)
  }
  return { start: now - bufferMinutes * MINUTE_MS, end }
}

/** Registered busy times of every required attendee of the events involved, per lower-cased email. */
async function loadBusy(
  store: PlacementStore,
  calendarId: string,
  attendees: Attendee[],
  range: Interval,
): Promise<Map<string, Interval[]>> {
  const emails = new Set(attendees.filter((attendee) => attendee.required).map((a) => a.email.toLowerCase()))
  const busy = new Map<string, Interval[]>()
  for (const email of emails) busy.set(email, await store.busyOverlapping(calendarId, [email], range))
  return busy
}

function intervalResource(interval: Interval): { start: string; end: string } {
  return { start: new Date(interval.start).toISOString(), end: new Date(interval.end).toISOString() }
}
