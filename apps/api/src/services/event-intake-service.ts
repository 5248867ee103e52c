import { type EventAcceptedResource, toEventResource } from '@scheduler/contract'
import {
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  checkChange,
  type EventChanges,
  type EventRecord,
  type Instant,
  type JobPayload,
  type JobRecord,
  pendingEvent,
} from '@scheduler/core'
import { createPlacementEnqueuer, newId, type PlacementQueue } from '@scheduler/jobs'
import type { Store } from '@scheduler/store'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import {
  ConflictProblem,
  NotFoundProblem,
  PreconditionFailedProblem,
  UnprocessableProblem,
} from '../errors.js'
import { QueueUnavailableError } from '../redis-errors.js'
import { withTimeout } from '../with-timeout.js'
import { type CreateInput, checkSpan, checkWhen, type PatchInput } from './event-requests.js'
import type { Idempotency, IdempotencyContext, StoredAnswer } from './idempotency-service.js'

export interface EventIntakeDeps {
  store: Pick<Store, 'getEvent' | 'getCalendar' | 'submit'>
  idempotency: Pick<Idempotency, 'lookup' | 'record' | 'answerOf'>
  placementQueue: PlacementQueue
  redis: Pick<Redis, 'status'>
  log: FastifyBaseLogger
  clock: () => Instant
}

/** The answer to a change: 202 with the event and its job, or a stored answer replayed. */
export interface IntakeAnswer extends StoredAnswer {
  replayed: boolean
}

/** `If-Match`: a version to compare, `*` (any version), or absent. */
export type Precondition = number | '*' | null

export type ChangeRequest =
  | { type: 'update'; patch: PatchInput; ifMatch: Precondition }
  | { type: 'cancel'; ifMatch: Precondition }
  | { type: 'delete'; ifMatch: Precondition }

const calendarId = CALENDAR_ID_DEFAULT
const ENQUEUE_TIMEOUT_MS = 2_000

/**
 * Accepts changes to the calendar: each is checked, persisted as a queued job (with the new event for a
 * create, and the idempotency record) in one store call, then put on the placement queue. The worker applies
 * it. Nothing is written while Redis is away (503), and a failed enqueue after the write is only logged: the
 * worker's reconciler re-enqueues persisted jobs.
 */
export function makeEventIntake(deps: EventIntakeDeps) {
  const { store, idempotency, log } = deps
  // The jobs of requests answered in the same turn of the event loop go to Redis together
  const enqueuePlacement = createPlacementEnqueuer(deps.placementQueue)

  function requireQueue(): void {
    if (deps.redis.status !== 'ready') {
      throw new QueueUnavailableError('The job queue (Redis) is unavailable; nothing was changed')
    }
  }

  async function settings(): Promise<CalendarSettings> {
    const calendar = await store.getCalendar(calendarId)
    if (!calendar) throw new Error(`Calendar ${calendarId} is missing`)
    return calendar
  }

  function newJob(eventId: string, payload: JobPayload, now: Instant): JobRecord {
    return {
      id: newId('job'),
      calendarId,
      type: payload.type,
      eventId,
      state: 'queued',
      payload,
      outcome: null,
      error: null,
      createdAt: now,
      finishedAt: null,
    }
  }

  async function submit(
    job: JobRecord,
    event: EventRecord,
    isNew: boolean,
    context: IdempotencyContext | null,
    now: Instant,
  ): Promise<IntakeAnswer> {
    const body: EventAcceptedResource = {
      event: toEventResource(event, now),
      job: { id: job.id, state: job.state },
    }
    const answer = { status: 202, body }
    const result = await store.submit({
      calendarId,
      job,
      ...(isNew ? { event } : {}),
      ...(context ? { idempotency: idempotency.record(context, answer, now) } : {}),
    })
    if (result.kind === 'replay') {
      // A concurrent request with the same key was persisted first
      return { ...idempotency.answerOf(context as IdempotencyContext, result.record), replayed: true }
    }
    try {
      // BullMQ waits for a lost connection instead of failing; the job is safe in the store either way
      await withTimeout(enqueuePlacement(job), ENQUEUE_TIMEOUT_MS, 'enqueue')
    } catch (error) {
      log.warn(
        { err: error, jobId: job.id },
        'enqueue failed after the job was persisted; the reconciler will enqueue it',
      )
    }
    return { ...answer, replayed: false }
  }

  async function replayed(context: IdempotencyContext | null, now: Instant): Promise<IntakeAnswer | null> {
    const stored = await idempotency.lookup(context, now)
    return stored ? { ...stored, replayed: true } : null
  }

  async function existing(eventId: string, ifMatch: Precondition): Promise<EventRecord> {
    const event = await store.getEvent(calendarId, eventId)
    if (!event) throw new NotFoundProblem(`Event ${eventId} does not exist`)
    if (typeof ifMatch === 'number' && ifMatch !== event.version) {
      throw new PreconditionFailedProblem(`Event ${eventId} is at version ${event.version}, not ${ifMatch}`)
    }
    return event
  }

  function allowed(event: EventRecord, changes: EventChanges, now: Instant): void {
    const check = checkChange(event, changes, now)
    if (!check.ok) throw new ConflictProblem(check.reason)
  }

  return {
    /** POST /v1/events */
    async create(input: CreateInput, context: IdempotencyContext | null): Promise<IntakeAnswer> {
      requireQueue()
      const now = deps.clock()
      // The key is claimed by `submit` in the same write; it is looked up first only when the request
      // would be refused now, so that a replay still answers what the first request got.
      try {
        await checkWhen(input.when, now, settings, input.durationMinutes)
      } catch (error) {
        const replay = await replayed(context, now)
        if (replay) return replay
        throw error
      }
      const event = pendingEvent(input, { id: newId('evt'), calendarId }, now)
      return submit(newJob(event.id, { type: 'create' }, now), event, true, context, now)
    },

    /** PATCH /v1/events/{id}, POST /v1/events/{id}/cancel, DELETE /v1/events/{id} */
    async change(
      eventId: string,
      request: ChangeRequest,
      context: IdempotencyContext | null,
    ): Promise<IntakeAnswer> {
      requireQueue()
      const now = deps.clock()
      const replay = await replayed(context, now)
      if (replay) return replay
      const event = await existing(eventId, request.ifMatch)
      let payload: JobPayload
      switch (request.type) {
        case 'delete':
          payload = { type: 'delete' }
          break
        case 'cancel':
          allowed(event, { status: 'cancelled' }, now)
          payload = { type: 'cancel' }
          break
        case 'update': {
          const { status } = request.patch
          if (status !== undefined && status !== 'cancelled' && status !== 'completed') {
            throw UnprocessableProblem.at(
              '/body/status',
              `can be set to cancelled or completed, not ${status}`,
            )
          }
          const changes: EventChanges = { ...request.patch.changes, ...(status ? { status } : {}) }
          allowed(event, changes, now)
          await checkWhen(changes.when, now, settings, changes.durationMinutes ?? event.durationMinutes)
          // A longer fixed event that stays where it is must still end within the supported range
          if (!changes.when && changes.durationMinutes !== undefined && event.requestedStart !== null) {
            checkSpan(
              '/body/durationMinutes',
              event.requestedStart,
              changes.durationMinutes,
              await settings(),
            )
          }
          payload = {
            type: 'update',
            changes,
            expectedVersion: typeof request.ifMatch === 'number' ? request.ifMatch : null,
          }
          break
        }
      }
      return submit(newJob(event.id, payload, now), event, false, context, now)
    },
  }
}

export type EventIntake = ReturnType<typeof makeEventIntake>
