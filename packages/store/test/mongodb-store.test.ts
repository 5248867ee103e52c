import { randomBytes } from 'node:crypto'
import t from 'tap'
import { openStore } from '../src/open-store.js'
import { conformanceSuite } from './conformance.js'

const MONGO_URL = process.env.MONGO_URL

if (MONGO_URL === undefined || MONGO_URL === '') {
  t.skip('MongoDB store conformance', { skip: 'MONGO_URL not set' }, () => {})
} else {
  const baseUrl = MONGO_URL
  conformanceSuite(t, 'mongodb', async () => {
    // A fresh database per scenario: the adapter drops nothing itself, so cleanup does.
    const name = `sched_test_${process.pid}_${randomBytes(5).toString('hex')}`
    const url = new URL(baseUrl)
    url.pathname = `/${name}`
    const store = await openStore(url.toString())
    return {
      store,
      cleanup: async () => {
        await store.close()
        await dropMongoDatabase(baseUrl, name)
      },
    }
  })
}

async function dropMongoDatabase(url: string, name: string): Promise<void> {
  const { MongoClient } = await import('mongodb')
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 })
  try {
    await client.db(name).dropDatabase()
  } finally {
    await client.close()
  }
}
