import type { Instant } from '@scheduler/core'
import type { ClientSession } from 'mongodb'
import type { IdempotencyPort, IdempotencyRecord, IdempotencyWrite, IdempotentResult } from '../port.js'
import type { MongoContext } from './mongo-context.js'
import { idempotencyFromDocument, idempotencyToDocument, toDate } from './mongo-documents.js'
import { isDuplicateKey } from './mongo-errors.js'

/** How long an idempotency key answers with its recorded result (the contract's 24 h). */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

/** The idempotent writes every aggregate runs its writes in (collection `idempotency_keys`). */
export interface IdempotentWrites {
  findIdempotencyRecord(calendarId: string, key: string, now: Instant): Promise<IdempotencyRecord | null>
  idempotently<T>(
    calendarId: string,
    write: IdempotencyWrite | undefined,
    work: (session: ClientSession) => Promise<T>,
  ): Promise<IdempotentResult<T>>
  deleteIdempotently<T>(
    calendarId: string,
    write: IdempotencyWrite | undefined,
    remove: (session: ClientSession) => Promise<T | null>,
  ): Promise<IdempotentResult<T | null>>
}

export function makeIdempotentWrites(context: MongoContext): IdempotentWrites {
  const { transaction } = context
  const { idempotency } = context.collections

  async function findIdempotencyRecord(
    calendarId: string,
    key: string,
    now: Instant,
  ): Promise<IdempotencyRecord | null> {
    const document = await idempotency.findOne({
      calendarId,
      key,
      createdAt: { $gt: toDate(now - IDEMPOTENCY_TTL_MS) },
    })
    return document === null ? null : idempotencyFromDocument(document)
  }

  /**
   * Runs `work` in a transaction that also records the idempotency key, unless the key is already recorded
   * and unexpired: then nothing is written and the record is answered. An expired record is replaced.
   */
  async function idempotently<T>(
    calendarId: string,
    write: IdempotencyWrite | undefined,
    work: (session: ClientSession) => Promise<T>,
  ): Promise<IdempotentResult<T>> {
    try {
      return await transaction(async (session): Promise<IdempotentResult<T>> => {
        if (write !== undefined) {
          const existing = await idempotency.findOne({ calendarId, key: write.key }, { session })
          if (existing !== null) {
            const record = idempotencyFromDocument(existing)
            if (!isExpired(record.createdAt, write.createdAt)) return { kind: 'replay', record }
            await idempotency.deleteOne({ _id: existing._id }, { session })
          }
          await idempotency.insertOne(idempotencyToDocument(calendarId, write), { session })
        }
        return { kind: 'done', value: await work(session) }
      })
    } catch (error) {
      // A concurrent request with the same key committed first (the unique index refused ours): replay it.
      if (write !== undefined && isDuplicateKey(error)) {
        const record = await findIdempotencyRecord(calendarId, write.key, write.createdAt)
        if (record !== null) return { kind: 'replay', record }
      }
      throw error
    }
  }

  /**
   * Deletes through `remove` (null when there is nothing to delete) in `idempotently`'s transaction. When
   * `remove` finds nothing, the transaction is aborted with the key it recorded: a 404 records no key.
   */
  async function deleteIdempotently<T>(
    calendarId: string,
    write: IdempotencyWrite | undefined,
    remove: (session: ClientSession) => Promise<T | null>,
  ): Promise<IdempotentResult<T | null>> {
    try {
      return await idempotently(calendarId, write, async (session) => {
        const removed = await remove(session)
        if (removed === null && write !== undefined) throw new NothingDeleted()
        return removed
      })
    } catch (error) {
      if (error instanceof NothingDeleted) return { kind: 'done', value: null }
      throw error
    }
  }

  return { findIdempotencyRecord, idempotently, deleteIdempotently }
}

/** Idempotency records on MongoDB: the port's read of them. */
export function makeMongoIdempotency(context: MongoContext & IdempotentWrites): IdempotencyPort {
  const { guarded, findIdempotencyRecord } = context
  return {
    findIdempotency: (calendarId, key, now) => guarded(() => findIdempotencyRecord(calendarId, key, now)),
  }
}

function isExpired(createdAt: Instant, now: Instant): boolean {
  return createdAt + IDEMPOTENCY_TTL_MS <= now
}

/** Aborts a deletion that found nothing, together with the key it recorded. */
class NothingDeleted extends Error {
  override name = 'NothingDeleted'
}

/** A deletion's result, with whatever it removed reduced to whether it removed anything. */
export function deletedOf<T>(result: IdempotentResult<T | null>): IdempotentResult<boolean> {
  return result.kind === 'replay' ? result : { kind: 'done', value: result.value !== null }
}
