import { toEventResource, toIntervalResource } from '@scheduler/contract'
import {
  type Instant,
  type JobPlan,
  type JobRecord,
  planJob,
  planningRange,
  requiredEmails,
} from '@scheduler/core'
import { newId, type PlacementJobData } from '@scheduler/jobs'
import { busyTimesByEmail, type OutboxMessage, StaleJobError, type Store } from '@scheduler/store'
import { type Job, UnrecoverableError } from 'bullmq'
import { failingForGood } from './job-failure.js'

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
 * A job whose last attempt fails is recorded failed, and its pending event failed (`failingForGood`).
 */
export function createPlaceEventProcessor(deps: PlaceEventDependencies) {
  const { store, clock } = deps

  return failingForGood(async function placeEvent(bullJob: Job<PlacementJobData>): Promise<void> {
    const { calendarId, jobId } = bullJob.data
    const started = clock()
    const job = await store.startJob(calendarId, jobId)
    if (!job) throw new UnrecoverableError(`Job ${jobId} is not in the store`)
    if (job.state === 'completed' || job.state === 'failed') return

    const settings = await store.getCalendar(calendarId)
    if (!settings) throw new Error(`Calendar ${calendarId} has no settings yet`)
    const event = await store.getEvent(calendarId, job.eventId)
    const now = clock()

    const changes = job.payload.type === 'update' ? job.payload.changes : {}
    // The span a plan can depend on; for an update, of the event as it will be (its new start or duration).
    const target = {
      durationMinutes: changes.durationMinutes ?? event?.durationMinutes ?? 0,
      requestedStart:
        changes.when?.placement === 'fixed' ? changes.when.start : (event?.requestedStart ?? null),
    }
    const range = planningRange(settings, now, target, event?.start ?? null)
    const occupying = await store.occupying(calendarId, range)
    const attendees = [
      event?.attendees ?? [],
      changes.attendees ?? [],
      ...occupying.map((other) => other.attendees),
    ]
    const busy = await busyTimesByEmail(store, calendarId, requiredEmails(attendees.flat()), range)

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
            previous: notification.previous && toIntervalResource(notification.previous),
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
  }, deps)
}
