import { randomBytes } from 'node:crypto'
import { createFreshDatabase, type FreshDatabase } from './fresh-postgres.js'

/**
 * A fresh database on the store the test run uses: PostgreSQL (`TEST_POSTGRES_URL`) by default, MongoDB
 * (`MONGO_URL`, a replica set) when `TEST_STORE=mongodb`, as `pnpm test:mongo` sets. `create: false` only
 * reserves the name (MongoDB creates a database on first use anyway); `drop` removes it either way.
 */
export async function createFreshStoreDatabase(options: { create?: boolean } = {}): Promise<FreshDatabase> {
  if (process.env.TEST_STORE !== 'mongodb') return createFreshDatabase(options)
  const base = process.env.MONGO_URL
  if (base === undefined || base === '') throw new Error('TEST_STORE=mongodb needs MONGO_URL')
  const name = `sched_test_${process.pid}_${randomBytes(5).toString('hex')}`
  const url = new URL(base)
  url.pathname = `/${name}`
  return { url: url.toString(), name, drop: () => dropMongoDatabase(base, name) }
}

/** Drops the database `name` on the MongoDB server of `url`. */
export async function dropMongoDatabase(url: string, name: string): Promise<void> {
  // Loaded only on a MongoDB run: a PostgreSQL run needs no MongoDB driver.
  const { MongoClient } = await import('mongodb')
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 })
  try {
    await client.db(name).dropDatabase()
  } finally {
    await client.close()
  }
}
