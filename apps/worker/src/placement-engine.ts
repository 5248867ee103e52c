import {
  DAY_MS,
  type EventRecord,
  type Instant,
  type JobPlan,
  type JobRecord,
  PlacementCalendar,
  planJob,
  planningRange,
  RecordsNeededError,
  requiredEmails,
} from '@scheduler/core'
import {
  busyTimesByEmail,
  RevisionMovedError,
  StaleJobError,
  type Store,
  type StorePlan,
} from '@scheduler/store'
import { outboxMessageOf } from './processors/job-failure.js'

export type EngineStore = Pick<
  Store,
  'loadCalendar' | 'loadJobs' | 'applyPlans' | 'occupying' | 'busyOverlapping'
>

export interface PlacementEngineDependencies {
  store: EngineStore
  clock: () => Instant
  /** Called after each job's plan is committed (wakes the outbox dispatcher, counts metrics). */
  onApplied?: (job: JobRecord, plan: JobPlan, durationMs: number) => void
  /** Called when the in-memory calendar is (re)loaded from the store. */
  onLoaded?: (calendarId: string, events: number, durationMs: number) => void
}

/** How far back the in-memory calendar holds events: plans that reach further back read the store. */
const LOOKBACK_MS = 7 * DAY_MS
/** How often a batch is planned again after the calendar moved under it before giving up. */
const REVISION_ATTEMPTS = 5
/** How many committed job ids are remembered, so their later deliveries are skipped without a read. */
const REMEMBERED_JOBS = 100_000

/** The outcome of one job of a batch: committed (or found finished), or the error it failed with alone. */
export type JobOutcome = { ok: true } | { ok: false; error: unknown }

interface Planned {
  job: JobRecord
  plan: JobPlan
  now: Instant
  started: Instant
}

/** A plan in the store's terms: the events, the job's end state and the outbox messages. */
export function toStorePlan(calendarId: string, job: JobRecord, plan: JobPlan, now: Instant): StorePlan {
  return {
    calendarId,
    jobId: job.id,
    upserts: plan.upserts,
    deletions: plan.deletions,
    job: { ...plan.job, finishedAt: now },
    messages: plan.notifications.map((notification) => outboxMessageOf(notification, now)),
  }
}

/**
 * The placement worker's engine: it owns each calendar it places into as a `PlacementCalendar` in
 * memory, loaded once from a store snapshot (`loadCalendar`) and kept current by the plans it commits.
 * `place` plans a batch of jobs one after another in the order given against that calendar and commits
 * them in one store transaction (`applyPlans`) that checks the calendar's revision: when something else
 * changed the calendar meanwhile (settings, busy times, another writer), the batch is refused, the
 * calendar reloaded and the batch planned again. A batch that fails otherwise (the database's overlap
 * guarantee) is retried one job at a time, so a job that cannot be applied fails alone.
 */
export function createPlacementEngine(deps: PlacementEngineDependencies) {
  const { store, clock } = deps
  const calendars = new Map<string, PlacementCalendar>()
  const committed = new Set<string>()

  async function calendarOf(calendarId: string): Promise<PlacementCalendar> {
    const loaded = calendars.get(calendarId)
    if (loaded) return loaded
    const started = clock()
    const snapshot = await store.loadCalendar(calendarId, started - LOOKBACK_MS)
    if (!snapshot) throw new Error(`Calendar ${calendarId} has no settings yet`)
    const calendar = new PlacementCalendar(snapshot, clock())
    calendars.set(calendarId, calendar)
    deps.onLoaded?.(calendarId, calendar.size, clock() - started)
    return calendar
  }

  function remember(jobId: string): void {
    committed.add(jobId)
    if (committed.size > REMEMBERED_JOBS) {
      const oldest = committed.values().next().value
      if (oldest !== undefined) committed.delete(oldest)
    }
  }

  /** A plan made from the store (the job reaches before the in-memory calendar): today's per-job path. */
  async function planFromStore(
    calendar: PlacementCalendar,
    job: JobRecord,
    event: EventRecord | null,
    now: Instant,
  ) {
    const changes = job.payload.type === 'update' ? job.payload.changes : {}
    const target = {
      durationMinutes: changes.durationMinutes ?? event?.durationMinutes ?? 0,
      requestedStart:
        changes.when?.placement === 'fixed' ? changes.when.start : (event?.requestedStart ?? null),
    }
    const range = planningRange(calendar.settings, now, target, event?.start ?? null)
    const occupying = await store.occupying(job.calendarId, range)
    const emails = requiredEmails(
      [event?.attendees ?? [], changes.attendees ?? [], ...occupying.map((o) => o.attendees)].flat(),
    )
    const busy = await busyTimesByEmail(store, job.calendarId, emails, range)
    return planJob({ job, event, settings: calendar.settings, now, occupying, busy })
  }

  /**
   * Plans against the in-memory calendar. It keeps placements, not records: when the plan displaces
   * events whose records this batch has not read yet, they are read (one query) and the job planned again.
   */
  async function planInMemory(
    calendar: PlacementCalendar,
    job: JobRecord,
    event: EventRecord | null,
    now: Instant,
    records: Map<string, EventRecord | null>,
  ): Promise<JobPlan> {
    for (;;) {
      try {
        return calendar.plan(job, event, now, records)
      } catch (error) {
        if (!(error instanceof RecordsNeededError)) throw error
        const wanted = error.ids.filter((id) => !records.has(id))
        const { events } = await store.loadJobs(job.calendarId, [], wanted)
        for (const found of events) records.set(found.id, found)
        // An event the calendar holds but the store does not: the calendar is behind; reload it.
        if (wanted.length === 0 || wanted.some((id) => !records.get(id)))
          throw new RevisionMovedError(`Calendar ${job.calendarId} holds events the store does not`)
      }
    }
  }

  function reachesBefore(
    calendar: PlacementCalendar,
    job: JobRecord,
    event: EventRecord | null,
    now: Instant,
  ): boolean {
    const changes = job.payload.type === 'update' ? job.payload.changes : {}
    const requestedStart =
      changes.when?.placement === 'fixed' ? changes.when.start : (event?.requestedStart ?? null)
    const target = { durationMinutes: changes.durationMinutes ?? event?.durationMinutes ?? 0, requestedStart }
    return !calendar.covers(planningRange(calendar.settings, now, target, event?.start ?? null))
  }

  /**
   * Plans the unfinished jobs of `jobIds` in order against the calendar and commits them together.
   * Answers the jobs it committed or found finished; a job whose plan needs the store's older events stops
   * the batch there unless it is first (it is then planned from the store, alone).
   */
  async function planAndCommit(calendarId: string, jobIds: string[]): Promise<Map<string, JobOutcome>> {
    const outcomes = new Map<string, JobOutcome>()
    for (let attempt = 1; ; attempt++) {
      const calendar = await calendarOf(calendarId)
      const { jobs, events } = await store.loadJobs(calendarId, jobIds)
      const eventsById = new Map<string, EventRecord | null>(events.map((event) => [event.id, event]))
      const planned: Planned[] = []
      try {
        for (const job of jobs) {
          if (job.state === 'completed' || job.state === 'failed') {
            outcomes.set(job.id, { ok: true })
            continue
          }
          const started = clock()
          const event = eventsById.get(job.eventId) ?? null
          const now = clock()
          let plan: JobPlan
          if (reachesBefore(calendar, job, event, now)) {
            if (planned.length > 0) break
            plan = await planFromStore(calendar, job, event, now)
          } else plan = await planInMemory(calendar, job, event, now, eventsById)
          calendar.apply(plan)
          for (const upsert of plan.upserts) eventsById.set(upsert.id, upsert)
          for (const id of plan.deletions) eventsById.set(id, null)
          planned.push({ job, plan, now, started })
        }
        if (planned.length > 0) {
          const { revision } = await store.applyPlans({
            calendarId,
            expectedRevision: calendar.revision,
            plans: planned.map(({ job, plan, now }) => toStorePlan(calendarId, job, plan, now)),
          })
          calendar.revision = revision
        }
      } catch (error) {
        // The calendar holds plans that did not commit: it is rebuilt from the store.
        calendars.delete(calendarId)
        const moved = error instanceof RevisionMovedError || error instanceof StaleJobError
        if (moved && attempt < REVISION_ATTEMPTS) continue
        throw error
      }
      const finished = clock()
      for (const { job, plan, started } of planned) {
        outcomes.set(job.id, { ok: true })
        remember(job.id)
        deps.onApplied?.(job, plan, finished - started)
      }
      return outcomes
    }
  }

  return {
    /** True when this engine committed the job (its later delivery changes nothing and reads nothing). */
    committed(jobId: string): boolean {
      return committed.has(jobId)
    },

    /** Forgets a committed job once its delivery was skipped. */
    forget(jobId: string): void {
      committed.delete(jobId)
    },

    /** Drops the in-memory calendar (it is reloaded on the next batch). */
    invalidate(calendarId: string): void {
      calendars.delete(calendarId)
    },

    /** The in-memory calendar, if loaded (tests compare it with the store). */
    loaded(calendarId: string): PlacementCalendar | undefined {
      return calendars.get(calendarId)
    },

    /**
     * Places the jobs in the order given, as one batch when it can. Answers an outcome for every job it
     * placed or found finished (jobs left for a later batch have none). A batch that fails for another
     * reason than a moved revision is retried one job at a time, so each job fails alone.
     */
    async place(calendarId: string, jobIds: string[]): Promise<Map<string, JobOutcome>> {
      try {
        return await planAndCommit(calendarId, jobIds)
      } catch (error) {
        if (jobIds.length <= 1) {
          const outcomes = new Map<string, JobOutcome>()
          for (const id of jobIds) outcomes.set(id, { ok: false, error })
          return outcomes
        }
      }
      const outcomes = new Map<string, JobOutcome>()
      for (const id of jobIds) {
        try {
          for (const [done, outcome] of await planAndCommit(calendarId, [id])) outcomes.set(done, outcome)
        } catch (error) {
          outcomes.set(id, { ok: false, error })
        }
      }
      return outcomes
    },
  }
}

export type PlacementEngine = ReturnType<typeof createPlacementEngine>
