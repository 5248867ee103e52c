import type { Db } from 'mongodb'
import type { FeedTokenPort, FeedTokenRecord } from '../port.js'
import type { MongoContext } from './mongo-context.js'
import type { IdempotentWrites } from './mongo-idempotency.js'

/** A feed token as MongoDB stores it: `_id` is the token's id; `calendarId` scopes every query. */
export interface FeedTokenDocument {
  _id: string
  calendarId: string
  label: string | null
  /** SHA-256 of the token, lower-case hex: unique across calendars (the feed looks tokens up by it). */
  tokenHash: string
  createdAt: Date
}

export function feedTokenToDocument(token: FeedTokenRecord): FeedTokenDocument {
  return {
    _id: token.id,
    calendarId: token.calendarId,
    label: token.label,
    tokenHash: token.tokenHash,
    createdAt: new Date(token.createdAt),
  }
}

export function feedTokenFromDocument(document: FeedTokenDocument): FeedTokenRecord {
  return {
    id: document._id,
    calendarId: document.calendarId,
    label: document.label,
    tokenHash: document.tokenHash,
    createdAt: document.createdAt.getTime(),
  }
}

export function feedTokenCollection(db: Db) {
  return db.collection<FeedTokenDocument>('feed_tokens')
}

/** The indexes the feed-token queries rely on (safe to run at every start, as `createIndexes` is). */
export async function createFeedTokenIndexes(db: Db): Promise<void> {
  await feedTokenCollection(db).createIndexes([
    { key: { calendarId: 1, createdAt: 1, _id: 1 }, name: 'feed_tokens_by_calendar' },
    { key: { tokenHash: 1 }, name: 'feed_tokens_by_hash', unique: true },
  ])
}

/** The feed-token aggregate on MongoDB: collection `feed_tokens`. */
export function makeMongoFeedTokens(context: MongoContext & IdempotentWrites): FeedTokenPort {
  const { guarded, idempotently, deleteIdempotently } = context
  const tokens = feedTokenCollection(context.db)
  return {
    createFeedToken: (token, write) =>
      guarded(() =>
        idempotently(token.calendarId, write, async (session) => {
          await tokens.insertOne(feedTokenToDocument(token), { session })
          return token
        }),
      ),

    listFeedTokens: (calendarId) =>
      guarded(async () => {
        const documents = await tokens.find({ calendarId }).sort({ createdAt: 1, _id: 1 }).toArray()
        return documents.map(feedTokenFromDocument)
      }),

    findFeedTokenByHash: (tokenHash) =>
      guarded(async () => {
        const document = await tokens.findOne({ tokenHash })
        return document === null ? null : feedTokenFromDocument(document)
      }),

    deleteFeedToken: (calendarId, id, write) =>
      guarded(async () => {
        const result = await deleteIdempotently(calendarId, write, async (session) => {
          const deleted = await tokens.deleteOne({ _id: id, calendarId }, { session })
          return deleted.deletedCount > 0 ? id : null
        })
        return result.kind === 'replay' ? result : { kind: 'done', value: result.value !== null }
      }),
  }
}
