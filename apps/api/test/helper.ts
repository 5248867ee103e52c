import { randomBytes } from 'node:crypto'
import { loadConfig } from '@scheduler/config'
import { type EventRecord, type JobRecord, newId } from '@scheduler/core'
import { createFreshStoreDatabase as createFreshDatabase } from '@scheduler/test-helpers/fresh-database'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import { createSigner } from 'fast-jwt'
import type { Test } from 'tap'
import { buildApp } from '../src/app-options.js'
import { SCOPES, type Scope } from '../src/auth/scopes.js'

export const TEST_REDIS_URL = REDIS_URL
export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long'
export const ISSUER = 'auto-event-manager'
export const AUDIENCE = 'scheduler-api'

export type App = Awaited<ReturnType<typeof buildApp>>

/**
 * An app on a fresh PostgreSQL database and a fresh Redis key prefix, built like the server builds it;
 * the teardown closes it, drops the database and deletes the prefix's keys.
 */
export async function build(t: Test, env: Record<string, string | undefined> = {}): Promise<App> {
  const database = await createFreshDatabase()
  const prefix = `test-api-${process.pid}-${randomBytes(4).toString('hex')}`
  const merged: Record<string, string | undefined> = {
    STORE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    JWT_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...env,
  }
  // `undefined` unsets a default (e.g. JWT_SECRET for a public-key app)
  const fullEnv = Object.fromEntries(
    Object.entries(merged).filter(([, value]) => value !== undefined),
  ) as Record<string, string>
  let app: App
  try {
    app = await buildApp({ env: fullEnv })
  } catch (error) {
    await database.drop()
    throw error
  }
  t.teardown(async () => {
    await app.close()
    await database.drop()
    await deleteKeys(prefix)
  })
  return app
}

export interface TokenOptions {
  scopes?: readonly (Scope | string)[]
  key?: string
  algorithm?: 'HS256' | 'RS256' | 'ES256' | 'HS512' | 'none'
  iss?: string
  aud?: string
  sub?: string
  /** Seconds from now; null: no `exp` claim. */
  expiresIn?: number | null
}

/** A signed token; every default is a valid one for `build`'s app. */
export function token(options: TokenOptions = {}): string {
  const algorithm = options.algorithm ?? 'HS256'
  const sign = createSigner({
    algorithm,
    ...(algorithm === 'none' ? {} : { key: options.key ?? TEST_SECRET }),
    iss: options.iss ?? ISSUER,
    aud: options.aud ?? AUDIENCE,
    sub: options.sub ?? 'auto-event-manager',
    ...(options.expiresIn === null ? {} : { expiresIn: (options.expiresIn ?? 600) * 1000 }),
  })
  return sign({ scope: (options.scopes ?? SCOPES).join(' ') })
}

export function bearer(options: TokenOptions = {}): { authorization: string } {
  return { authorization: `Bearer ${token(options)}` }
}

/** The config `build` gives the app, for code under test that takes a config. */
export function testConfig(env: Record<string, string> = {}) {
  return loadConfig({ JWT_SECRET: TEST_SECRET, ...env })
}

const HOUR = 3_600_000

/** Test-data builder: a valid create body, overridable field by field. */
export function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { title: 'Board sync', durationMinutes: 30, ...overrides }
}

/** An RFC 3339 instant `hours` from now, on a whole minute. */
export function hoursFromNow(hours: number): string {
  return new Date(Math.ceil((Date.now() + hours * HOUR) / 60_000) * 60_000).toISOString()
}

/**
 * Stores `event` as it is (e.g. already scheduled, as the worker would leave it) with a finished-looking
 * create job, bypassing the API: arrangement for read and transition tests.
 */
export async function seedEvent(app: App, event: EventRecord): Promise<EventRecord> {
  const job: JobRecord = {
    id: newId('job'),
    calendarId: event.calendarId,
    type: 'create',
    eventId: event.id,
    state: 'queued',
    payload: { type: 'create' },
    outcome: null,
    error: null,
    createdAt: event.createdAt,
    finishedAt: null,
  }
  await app.store.submit({ calendarId: event.calendarId, job, event })
  return event
}

export { anEvent, aScheduledEvent } from '@scheduler/test-helpers/builders'
