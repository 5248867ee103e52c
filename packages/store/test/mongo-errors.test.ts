import { MongoNetworkTimeoutError, MongoServerError, MongoWriteConcernError } from 'mongodb'
import t from 'tap'
import { guarded, toStoreError } from '../src/mongodb/mongo-errors.js'
import { DuplicateIdError, OverlapError, StoreUnavailableError } from '../src/port.js'

// How the MongoDB adapter reports what the driver throws: these run without a server (the errors are the
// driver's own classes, built as the driver builds them from a server's answer).

t.test('guarded bounds an operation that never answers by its timeout', async (t) => {
  const started = Date.now()
  await t.rejects(
    guarded(() => new Promise<never>(() => {}), 200),
    StoreUnavailableError,
  )
  const took = Date.now() - started
  t.ok(took >= 190 && took < 1500, `rejected after ${took} ms (timeout 200 ms)`)
  t.equal(await guarded(async () => 'answer', 200), 'answer', 'an answer in time passes')
  await t.rejects(
    guarded(async () => {
      throw new OverlapError('x')
    }, 200),
    OverlapError,
    "the store's own refusals pass",
  )
})

t.test(
  'timeouts, write-concern failures and failovers are unavailable; duplicate keys are duplicates',
  async (t) => {
    const unavailable = {
      'a socket timeout': new MongoNetworkTimeoutError('connection timed out'),
      'no majority in time (wtimeout)': new MongoWriteConcernError({
        ok: 1,
        writeConcernError: {
          code: 64,
          errmsg: 'waiting for replication timed out',
          errInfo: { wtimeout: true },
        },
      }),
      'maxTimeMS expired': new MongoServerError({ message: 'operation exceeded time limit', code: 50 }),
      'a step-down': new MongoServerError({ message: 'not primary', code: 10107 }),
      'a conflict still transient after the retries': new MongoServerError({
        message: 'WriteConflict',
        code: 112,
        errorLabels: ['TransientTransactionError'],
      }),
      'a commit of unknown outcome': new MongoServerError({
        message: 'commit',
        code: 6,
        errorLabels: ['UnknownTransactionCommitResult'],
      }),
    }
    for (const [name, error] of Object.entries(unavailable)) {
      t.ok(toStoreError(error) instanceof StoreUnavailableError, name)
    }
    const duplicate = new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })
    t.ok(toStoreError(duplicate) instanceof DuplicateIdError, 'E11000')
    const bad = new MongoServerError({ message: 'bad value', code: 2 })
    t.equal(toStoreError(bad), bad, 'anything else passes unchanged')
  },
)
