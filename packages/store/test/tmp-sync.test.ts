import t from 'tap'
import { createPostgresStore } from '../src/postgres/postgres-store.js'
import { createFreshDatabase } from './helpers/fresh-postgres.js'
import { syncScenarios } from './sync-conformance.js'

syncScenarios((title, body) =>
  t.test(title, async (t) => {
    const database = await createFreshDatabase()
    const store = await createPostgresStore(database.url)
    t.teardown(async () => {
      await store.close()
      await database.drop()
    })
    await body(t, store)
  }),
)
