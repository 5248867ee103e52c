import {
  CALENDAR_ID_DEFAULT,
  type CalendarSettings,
  canonicalTimeZone,
  parseWorkingHoursSpec,
  validateCalendarSettings,
} from '@scheduler/core'
import envSchema from 'env-schema'
import { type Config, configSchema } from './config-schema.js'

/**
 * A development-only signing secret, used when neither JWT_SECRET nor JWT_PUBLIC_KEY is set so that the
 * service runs with no configuration. The API logs a warning whenever it is in use.
 */
export const DEVELOPMENT_JWT_SECRET = 'development-only-secret-set-JWT_SECRET-in-production'

/**
 * A development-only key for the admin session cookie, used when SESSION_SECRET is unset so that the
 * service runs with no configuration. The API logs a warning whenever it is in use.
 */
export const DEVELOPMENT_SESSION_SECRET = 'development-only-session-secret-set-SESSION_SECRET'

/** The key that signs the admin session cookie: SESSION_SECRET, or the development key. */
export function sessionSecret(config: Config): string {
  return config.SESSION_SECRET ?? DEVELOPMENT_SESSION_SECRET
}

/**
 * Reads and validates `env`, the process environment by default, and only that one (throws with every
 * problem listed). Tests build configurations side by side in one process from their own environments.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = envSchema<Config>({ schema: configSchema, data: env, env: false, dotenv: false })
  checkConfig(config)
  return config
}

/** Cross-field checks that a JSON schema cannot express; shared by the API's @fastify/env path. */
export function checkConfig(config: Config): void {
  const problems = validateCalendarSettings(initialCalendar(config))
  parseDurationList(config.WEBHOOK_RETRY_SCHEDULE)
  if (config.HEADERS_TIMEOUT_MS > config.REQUEST_TIMEOUT_MS) {
    throw new Error('HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS (Node.js refuses it)')
  }
  if (problems.length > 0) throw new Error(`Invalid CALENDAR_* configuration: ${problems.join('; ')}`)
}

/** The HS256 secret in force: JWT_SECRET, or the development secret when no key is configured at all. */
export function signingSecret(config: Config): string | undefined {
  if (config.JWT_SECRET) return config.JWT_SECRET
  return config.JWT_PUBLIC_KEY ? undefined : DEVELOPMENT_JWT_SECRET
}

/**
 * The calendar's settings on first start, from the CALENDAR_* variables; the zone spelled as the tz
 * database does (`america/new_york` → `America/New_York`; an unknown name is left for `checkConfig`).
 */
export function initialCalendar(config: Config): CalendarSettings {
  return {
    id: CALENDAR_ID_DEFAULT,
    timezone: canonicalTimeZone(config.CALENDAR_TIMEZONE) ?? config.CALENDAR_TIMEZONE,
    workingHours: parseWorkingHoursSpec(config.CALENDAR_WORKING_HOURS),
    bufferMinutes: config.CALENDAR_BUFFER_MINUTES,
    slotMinutes: config.CALENDAR_SLOT_MINUTES,
    minNoticeMinutes: config.CALENDAR_MIN_NOTICE_MINUTES,
    horizonDays: config.CALENDAR_HORIZON_DAYS,
    blackouts: [],
  }
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** Parses `5s,5m,30m,2h` into milliseconds (WEBHOOK_RETRY_SCHEDULE). */
export function parseDurationList(spec: string): number[] {
  return spec.split(',').map((part) => {
    const match = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(part)
    if (!match) throw new Error(`Invalid duration "${part.trim()}" in "${spec}": use e.g. 5s, 5m, 2h`)
    return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  })
}
