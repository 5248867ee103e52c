import {
  type CalendarSnapshot,
  type EventRecord,
  type Interval,
  type PlacedEvent,
  planJobFailure,
} from '@scheduler/core'
import {
  type EventPort,
  type PlacementPort,
  type PlanBatch,
  RevisionMovedError,
  StaleJobError,
  type StorePlan,
} from '../port.js'
import { assertWritable, type MongoContext } from './mongo-context.js'
import {
  busyFromDocument,
  calendarFromDocument,
  errorToDocument,
  eventFromDocument,
  eventToDocument,
  jobFromDocument,
  messageToDocument,
  outcomeToDocument,
  recordKey,
  toDate,
} from './mongo-documents.js'
import type { EventWrite } from './mongo-event-changes.js'

/**
 * The placement aggregate on MongoDB: what the worker plans against and the plans it applies. `failJob`
 * reads the job and its event through `reads` and applies its plan as `applyPlan` does.
 */
/** Shared by every loaded event without attendees. */
const NO_ATTENDEES: readonly never[] = Object.freeze([])

export function makeMongoPlacement(
  context: MongoContext,
  reads: Pick<EventPort, 'getJob' | 'getEvent'>,
): PlacementPort {
  const { guarded, transaction, ensureRevision } = context
  const { calendars, revisions, events, jobs, busy } = context.collections
  const store = { ...reads, applyPlan: (plan: StorePlan) => applyPlan(context, plan) }
  return {
    applyPlan: store.applyPlan,
    applyPlans: (batch) => applyPlans(context, batch),

    loadCalendar: (calendarId, from) =>
      guarded(async () => {
        await ensureRevision(calendarId)
        // One snapshot: the revision read here is the one the events and busy times belong to.
        return transaction(async (session): Promise<CalendarSnapshot | null> => {
          const calendar = await calendars.findOne({ _id: calendarId }, { session })
          if (calendar === null) return null
          const revision = await revisions.findOne({ _id: calendarId }, { session })
          // Only what placement reads, streamed: the calendar keeps these placements, not the documents.
          const placements: PlacedEvent[] = []
          const cursor = events
            .find(
              { calendarId, status: 'scheduled', end: { $gt: toDate(from) } },
              { session, projection: { _id: 1, start: 1, end: 1, placement: 1, attendees: 1 } },
            )
            .sort({ start: 1, _id: 1 })
          for await (const document of cursor) {
            if (document.start === null || document.end === null) continue
            placements.push({
              id: document._id.id,
              start: document.start.getTime(),
              end: document.end.getTime(),
              placement: document.placement,
              attendees:
                document.attendees.length === 0
                  ? NO_ATTENDEES
                  : document.attendees.map(({ email, name, required }) =>
                      typeof name === 'string' ? { email, name, required } : { email, required },
                    ),
            })
          }
          const busyDocuments = await busy
            .find({ calendarId }, { session })
            .sort({ email: 1, start: 1, end: 1 })
            .toArray()
          const busyByEmail = new Map<string, Interval[]>()
          for (const document of busyDocuments) {
            const list = busyByEmail.get(document.email) ?? []
            list.push(busyFromDocument(document))
            busyByEmail.set(document.email, list)
          }
          return {
            settings: calendarFromDocument(calendar),
            revision: revision?.placementRevision ?? 0,
            from,
            events: placements,
            busy: busyByEmail,
          }
        })
      }),

    loadJobs: (calendarId, jobIds, eventIds = []) =>
      guarded(async () => {
        const jobDocuments =
          jobIds.length === 0
            ? []
            : await jobs.find({ _id: { $in: jobIds.map((id) => recordKey(calendarId, id)) } }).toArray()
        const byId = new Map(jobDocuments.map((document) => [document._id.id, jobFromDocument(document)]))
        const found = jobIds.flatMap((id) => byId.get(id) ?? [])
        const wanted = [...new Set([...found.map((job) => job.eventId), ...eventIds])]
        if (wanted.length === 0) return { jobs: found, events: [] }
        const eventDocuments = await events
          .find({ _id: { $in: wanted.map((id) => recordKey(calendarId, id)) } })
          .toArray()
        return { jobs: found, events: eventDocuments.map(eventFromDocument) }
      }),

    failJob: async (calendarId, jobId, error, at, toMessage) => {
      const job = await store.getJob(calendarId, jobId)
      // A job that is already finished keeps its outcome.
      if (job === null || job.state === 'completed' || job.state === 'failed') return null
      const event = await store.getEvent(calendarId, job.eventId)
      const plan = planJobFailure({ job, event, error, now: at })
      try {
        // The job's state is checked again inside `applyPlan`'s transaction (StaleJobError if it finished).
        await store.applyPlan({
          calendarId,
          jobId,
          upserts: plan.upserts,
          deletions: plan.deletions,
          job: { ...plan.job, finishedAt: at },
          messages: plan.notifications.map((notification) => toMessage(notification, at)),
        })
      } catch (failure) {
        if (failure instanceof StaleJobError) return null
        throw failure
      }
      return plan
    },
  }
}

/** `PlacementPort.applyPlan` on MongoDB (see `createMongoStore` for how writers are kept apart). */
function applyPlan(context: MongoContext, plan: StorePlan): Promise<void> {
  const { guarded, transaction, ensureRevision, bumpRevision, assertNoOverlap, changeLog, gridFs } = context
  const { events, jobs, outbox, attachmentFiles } = context.collections
  return guarded(async () => {
    // One write per id, the last record winning (as a plan that lists an event twice means).
    const upserts = [...new Map(plan.upserts.map((event) => [event.id, event])).values()]
    for (const event of upserts) assertWritable(event)
    // Every calendar whose events the plan writes is serialised, not only the job's own.
    const calendarIds = [...new Set([plan.calendarId, ...upserts.map((event) => event.calendarId)])]
    for (const calendarId of calendarIds) await ensureRevision(calendarId)
    await changeLog.prepare(calendarIds)
    await transaction(async (session) => {
      const job = await jobs.findOne(
        { _id: recordKey(plan.calendarId, plan.jobId) },
        { session, projection: { state: 1 } },
      )
      if (job === null) throw new Error(`Job ${plan.jobId} does not exist in calendar ${plan.calendarId}`)
      if (job.state === 'completed' || job.state === 'failed') {
        throw new StaleJobError(`Job ${plan.jobId} is already ${job.state}`)
      }
      for (const calendarId of calendarIds) await bumpRevision(session, calendarId)
      if (upserts.length > 0) {
        await events.bulkWrite(
          upserts.map((event) => ({
            replaceOne: {
              filter: { _id: recordKey(event.calendarId, event.id) },
              replacement: eventToDocument(event),
              upsert: true,
            },
          })),
          { session, ordered: true },
        )
      }
      if (plan.deletions.length > 0) {
        await events.deleteMany(
          { _id: { $in: plan.deletions.map((id) => recordKey(plan.calendarId, id)) } },
          { session },
        )
        // Their attachments disappear with them, in this transaction; the bytes follow after it.
        await attachmentFiles.updateMany(
          {
            'metadata.calendarId': plan.calendarId,
            'metadata.eventId': { $in: plan.deletions },
            'metadata.state': 'stored',
          },
          { $set: { 'metadata.state': 'deleting' } },
          { session },
        )
      }
      await assertNoOverlap(session, plan.jobId, upserts)
      const written: EventWrite[] = [
        ...upserts.map((event) => ({ calendarId: event.calendarId, eventId: event.id, deleted: false })),
        ...plan.deletions.map((eventId) => ({ calendarId: plan.calendarId, eventId, deleted: true })),
      ]
      await changeLog.record(session, written, plan.job.finishedAt)
      await jobs.updateOne(
        { _id: recordKey(plan.calendarId, plan.jobId) },
        {
          $set: {
            state: plan.job.state,
            outcome: outcomeToDocument(plan.job.outcome),
            error: errorToDocument(plan.job.error),
            finishedAt: toDate(plan.job.finishedAt),
          },
        },
        { session },
      )
      if (plan.messages.length > 0) {
        await outbox.insertMany(plan.messages.map(messageToDocument), { session })
      }
    })
    if (plan.deletions.length > 0) {
      // GridFS is not transactional: the deleted events' attachment bytes are removed right after the
      // commit. The plan is applied either way; a removal cut short here is finished by purgeExpired.
      await gridFs
        .removeDeleting({
          'metadata.calendarId': plan.calendarId,
          'metadata.eventId': { $in: plan.deletions },
        })
        .catch(() => undefined)
    }
  })
}

/** `PlacementPort.applyPlans` on MongoDB: one transaction that first moves the calendar's revision. */
function applyPlans(context: MongoContext, batch: PlanBatch): Promise<{ revision: number }> {
  const { guarded, transaction, ensureRevision, assertNoOverlap, changeLog, gridFs } = context
  const { revisions, events, jobs, outbox, attachmentFiles } = context.collections
  return guarded(async () => {
    const { calendarId, plans } = batch
    // The calendar after every plan in order: the last record of each event, or its deletion.
    const final = new Map<string, EventRecord | null>()
    for (const plan of plans) {
      for (const event of plan.upserts) final.set(event.id, event)
      for (const id of plan.deletions) final.set(id, null)
    }
    const upserts = [...final.values()].flatMap((event) => (event === null ? [] : [event]))
    const deletions = [...final.entries()].flatMap(([id, event]) => (event === null ? [id] : []))
    for (const event of upserts) {
      assertWritable(event)
      if (event.calendarId !== calendarId)
        throw new Error(`Event ${event.id} is not in calendar ${calendarId}`)
    }
    await ensureRevision(calendarId)
    await changeLog.prepare([calendarId])
    const revision = await transaction(async (session) => {
      // Writing the revision document first serialises this batch with every other placement write.
      const bumped = await revisions.findOneAndUpdate(
        { _id: calendarId },
        { $inc: { revision: 1, placementRevision: 1 } },
        { session, returnDocument: 'after' },
      )
      const current = (bumped?.placementRevision ?? 1) - 1
      if (current !== batch.expectedRevision) {
        throw new RevisionMovedError(
          `Calendar ${calendarId} is at revision ${current}, the plans were made at ${batch.expectedRevision}`,
        )
      }
      const jobIds = plans.map((plan) => plan.jobId)
      const found = await jobs
        .find(
          { _id: { $in: jobIds.map((id) => recordKey(calendarId, id)) } },
          { session, projection: { state: 1 } },
        )
        .toArray()
      const stateOf = new Map(found.map((job) => [job._id.id, job.state]))
      for (const jobId of jobIds) {
        const state = stateOf.get(jobId)
        if (state === undefined) throw new Error(`Job ${jobId} does not exist in calendar ${calendarId}`)
        if (state === 'completed' || state === 'failed') {
          throw new StaleJobError(`Job ${jobId} is already ${state}`)
        }
      }
      if (upserts.length > 0) {
        await events.bulkWrite(
          upserts.map((event) => ({
            replaceOne: {
              filter: { _id: recordKey(calendarId, event.id) },
              replacement: eventToDocument(event),
              upsert: true,
            },
          })),
          { session, ordered: true },
        )
      }
      if (deletions.length > 0) {
        await events.deleteMany(
          { _id: { $in: deletions.map((id) => recordKey(calendarId, id)) } },
          { session },
        )
        await attachmentFiles.updateMany(
          {
            'metadata.calendarId': calendarId,
            'metadata.eventId': { $in: deletions },
            'metadata.state': 'stored',
          },
          { $set: { 'metadata.state': 'deleting' } },
          { session },
        )
      }
      await assertNoOverlap(session, jobIds.join(', '), upserts)
      const written: EventWrite[] = [
        ...upserts.map((event) => ({ calendarId, eventId: event.id, deleted: false })),
        ...deletions.map((eventId) => ({ calendarId, eventId, deleted: true })),
      ]
      await changeLog.record(session, written, Math.max(...plans.map((plan) => plan.job.finishedAt)))
      await jobs.bulkWrite(
        plans.map((plan: StorePlan) => ({
          updateOne: {
            filter: { _id: recordKey(calendarId, plan.jobId) },
            update: {
              $set: {
                state: plan.job.state,
                outcome: outcomeToDocument(plan.job.outcome),
                error: errorToDocument(plan.job.error),
                finishedAt: toDate(plan.job.finishedAt),
              },
            },
          },
        })),
        { session, ordered: true },
      )
      const messages = plans.flatMap((plan) => plan.messages)
      if (messages.length > 0) await outbox.insertMany(messages.map(messageToDocument), { session })
      return current + 1
    })
    if (deletions.length > 0) {
      await gridFs
        .removeDeleting({ 'metadata.calendarId': calendarId, 'metadata.eventId': { $in: deletions } })
        .catch(() => undefined)
    }
    return { revision }
  })
}
