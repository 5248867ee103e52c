import {
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  checkChange,
  type EventChanges,
  type EventRecord,
  type IdPrefix,
  type Instant,
  type JobPayload,
  type JobRecord,
  pendingEvent,
} from '@scheduler/core'
import { createPlacementEnqueuer, type PlacementQueue } from '@scheduler/jobs'
import type { Store } from '@scheduler/store'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import { QueueUnavailableError } from '../redis-errors.js'
import { withTimeout } from '../with-timeout.js'
import { ConflictError, InvalidInputError, NotFoundError, PreconditionFailedError } from './domain-errors.js'
import { type CreateInput, checkSpan, checkWhen, type PatchInput } from './event-rules.js'
import {
  type Idempotent,
  type IdempotentRequest,
  type IdempotentWrites,
  mapDone,
  type RunOptions,
} from './idempotency-service.js'

export interface EventIntakeDeps {
  store: Pick<Store, 'getEvent' | 'getCalendar' | 'submit'>
  writes: IdempotentWrites
  placementQueue: PlacementQueue
  redis: Pick<Redis, 'status'>
  log: Pick<FastifyBaseLogger, 'warn'>
  clock: () => Instant
  mintId: (prefix: IdPrefix) => string
}

/** An accepted change: the event as it is now, the queued job that applies it, and when it was accepted. */
export interface Accepted {
  event: EventRecord
  job: JobRecord
  at: Instant
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
 * it. Nothing is written while Redis is away (`QueueUnavailableError`), and a failed enqueue after the write
 * is only logged: the worker's reconciler re-enqueues persisted jobs. Refusals: `NotFoundError`,
 * `PreconditionFailedError` (the version), `ConflictError` (the event's state), `InvalidInputError` (when).
 */
export function makeEventIntake(deps: EventIntakeDeps) {
  const { store, writes, log, mintId } = deps
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
      id: mintId('job'),
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

  /**
   * Under the idempotency protocol: checks and builds the change (`build`, after the key's lookup), writes
   * it (the job, a new event, the idempotency record) in one store call, then enqueues the job.
   */
  async function submit(
    request: IdempotentRequest<Accepted> | null,
    now: Instant,
    build: () => Promise<{ accepted: Accepted; isNew: boolean }>,
    options?: RunOptions,
  ): Promise<Idempotent<Accepted>> {
    const outcome = await writes.run(
      request,
      now,
      async (record) => {
        const { accepted, isNew } = await build()
        const { job, event } = accepted
        const idempotency = record(accepted)
        const result = await store.submit({
          calendarId,
          job,
          ...(isNew ? { event } : {}),
          ...(idempotency ? { idempotency } : {}),
        })
        return mapDone(result, () => accepted)
      },
      options,
    )
    if (outcome.replayed) return outcome
    const { job } = outcome.value
    try {
      // BullMQ waits for a lost connection instead of failing; the job is safe in the store either way
      await withTimeout(enqueuePlacement(job), ENQUEUE_TIMEOUT_MS, 'enqueue')
    } catch (error) {
      log.warn(
        { err: error, jobId: job.id },
        'enqueue failed after the job was persisted; the reconciler will enqueue it',
      )
    }
    return outcome
  }

  async function existing(eventId: string, ifMatch: Precondition): Promise<EventRecord> {
    const event = await store.getEvent(calendarId, eventId)
    if (!event) throw new NotFoundError(`Event ${eventId} does not exist`)
    if (typeof ifMatch === 'number' && ifMatch !== event.version) {
      throw new PreconditionFailedError(`Event ${eventId} is at version ${event.version}, not ${ifMatch}`)
    }
    return event
  }

  function allowed(event: EventRecord, changes: EventChanges, now: Instant): void {
    const check = checkChange(event, changes, now)
    if (!check.ok) throw new ConflictError(check.reason)
  }

  async function payloadOf(event: EventRecord, request: ChangeRequest, now: Instant): Promise<JobPayload> {
    switch (request.type) {
      case 'delete':
        return { type: 'delete' }
      case 'cancel':
        allowed(event, { status: 'cancelled' }, now)
        return { type: 'cancel' }
      case 'update': {
        const { status } = request.patch
        if (status !== undefined && status !== 'cancelled' && status !== 'completed') {
          throw InvalidInputError.at('/status', `can be set to cancelled or completed, not ${status}`)
        }
        const changes: EventChanges = { ...request.patch.changes, ...(status ? { status } : {}) }
        allowed(event, changes, now)
        await checkWhen(changes.when, now, settings, changes.durationMinutes ?? event.durationMinutes)
        // A longer fixed event that stays where it is must still end within the supported range
        if (!changes.when && changes.durationMinutes !== undefined && event.requestedStart !== null) {
          checkSpan('/durationMinutes', event.requestedStart, changes.durationMinutes, await settings())
        }
        return {
          type: 'update',
          changes,
          expectedVersion: typeof request.ifMatch === 'number' ? request.ifMatch : null,
        }
      }
    }
  }

  return {
    /** Creates an event: `pending` until the worker places it. */
    async create(
      input: CreateInput,
      request: IdempotentRequest<Accepted> | null,
    ): Promise<Idempotent<Accepted>> {
      requireQueue()
      const now = deps.clock()
      // The key is claimed by the write itself; it is looked up only when the request is refused now, so
      // that a retry of an accepted create still answers what the first request got
      return submit(
        request,
        now,
        async () => {
          await checkWhen(input.when, now, settings, input.durationMinutes)
          const event = pendingEvent(input, { id: mintId('evt'), calendarId }, now)
          return { accepted: { event, job: newJob(event.id, { type: 'create' }, now), at: now }, isNew: true }
        },
        { lookupFirst: false },
      )
    },

    /** Updates, cancels or deletes an event. */
    async change(
      eventId: string,
      change: ChangeRequest,
      request: IdempotentRequest<Accepted> | null,
    ): Promise<Idempotent<Accepted>> {
      requireQueue()
      const now = deps.clock()
      return submit(request, now, async () => {
        const event = await existing(eventId, change.ifMatch)
        const payload = await payloadOf(event, change, now)
        return { accepted: { event, job: newJob(event.id, payload, now), at: now }, isNew: false }
      })
    },
  }
}

export type EventIntake = ReturnType<typeof makeEventIntake>
