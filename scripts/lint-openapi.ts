/**
 * Lints the OpenAPI document the API serves with Redocly's `recommended` rules (warnings count as failures).
 *
 * The document is generated from the route schemas, so it is taken from the app itself: built like the
 * server builds it, on a fresh PostgreSQL database and Redis key prefix that are removed afterwards
 * (`TEST_POSTGRES_URL`, `TEST_REDIS_URL` as for the tests). The document is written to a temporary file,
 * linted, and the problems printed in Redocly's `stylish` format. Exit code 1 on any problem.
 *
 *   pnpm lint:openapi
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConfig, formatProblems, getTotals, lint } from '@redocly/openapi-core'
import { createFreshDatabase } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import { buildApp } from '../apps/api/src/app-options.js'

async function openApiDocument(): Promise<unknown> {
  const database = await createFreshDatabase()
  const prefix = `lint-openapi-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    const app = await buildApp({
      env: {
        STORE_URL: database.url,
        REDIS_URL,
        REDIS_PREFIX: prefix,
        JWT_SECRET: randomBytes(32).toString('hex'),
        LOG_LEVEL: 'silent',
      },
    })
    try {
      const response = await app.inject({ method: 'GET', url: '/openapi.json' })
      if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`)
      return response.json()
    } finally {
      await app.close()
    }
  } finally {
    await database.drop()
    await deleteKeys(prefix)
  }
}

const directory = await mkdtemp(join(tmpdir(), 'openapi-'))
try {
  const file = join(directory, 'openapi.json')
  await writeFile(file, JSON.stringify(await openApiDocument(), null, 2))
  const config = await createConfig({ extends: ['recommended'] })
  const problems = await lint({ ref: file, config })
  const totals = getTotals(problems)
  if (problems.length > 0) {
    formatProblems(problems, { format: 'stylish', totals, version: 'scheduler-api', maxProblems: 200 })
  }
  console.log(
    `OpenAPI lint (Redocly recommended): ${totals.errors} errors, ${totals.warnings} warnings, ${totals.ignored} ignored`,
  )
  process.exitCode = problems.length > 0 ? 1 : 0
} finally {
  await rm(directory, { recursive: true, force: true })
}
