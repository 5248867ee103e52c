import { type Static, Type } from '@sinclair/typebox'

/**
 * Every setting the service reads, in one schema: the API loads it with `@fastify/env`, the worker and the
 * scripts with `env-schema`. Defaults make a machine with Redis and PostgreSQL on their default ports work
 * with no configuration at all.
 */
export const configSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379' }),
  /** Key prefix of every BullMQ key: lets several deployments (or test runs) share one Redis. */
  REDIS_PREFIX: Type.String({ default: 'scheduler', minLength: 1 }),
  /** `postgres://…` or `mongodb://…`: the scheme chooses the adapter. */
  STORE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/scheduler' }),
  /** The longest one store operation may wait on the database before it fails (the API answers 503). */
  STORE_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_PUBLIC_KEY: Type.Optional(Type.String({ minLength: 1 })),
  JWT_ISSUER: Type.String({ default: 'auto-event-manager' }),
  JWT_AUDIENCE: Type.String({ default: 'scheduler-api' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  /** The whole request (headers and body) must arrive within this, else 408 and the connection is closed. */
  REQUEST_TIMEOUT_MS: Type.Integer({ default: 60_000, minimum: 100 }),
  /** The request line and headers must arrive within this (at most REQUEST_TIMEOUT_MS), else 408. */
  HEADERS_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /** A connection on which nothing is sent or received for this long is closed. */
  CONNECTION_TIMEOUT_MS: Type.Integer({ default: 120_000, minimum: 100 }),
  /** An idle keep-alive connection is closed after this (longer than a load balancer's idle timeout). */
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 72_000, minimum: 100 }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 1200, minimum: 0 }),
  CALENDAR_TIMEZONE: Type.String({ default: 'UTC' }),
  CALENDAR_WORKING_HOURS: Type.String({ default: 'mon-fri 09:00-17:00' }),
  CALENDAR_BUFFER_MINUTES: Type.Integer({ default: 0, minimum: 0, maximum: 1440 }),
  CALENDAR_SLOT_MINUTES: Type.Integer({ default: 15, minimum: 1, maximum: 1440 }),
  CALENDAR_MIN_NOTICE_MINUTES: Type.Integer({ default: 0, minimum: 0 }),
  CALENDAR_HORIZON_DAYS: Type.Integer({ default: 60, minimum: 1, maximum: 3650 }),
  WORKER_METRICS_PORT: Type.Integer({ default: 9464, minimum: 0, maximum: 65535 }),
  /** How long a persisted job may wait before the reconciler puts it on the queue again. */
  RECONCILE_AFTER_MS: Type.Integer({ default: 15_000, minimum: 100 }),
  /** The most queued placement jobs the worker plans and commits as one batch. */
  PLACEMENT_BATCH_MAX: Type.Integer({ default: 256, minimum: 1, maximum: 10_000 }),
  WEBHOOK_ALLOW_LOOPBACK: Type.Boolean({ default: false }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({ default: '5s,5m,30m,2h,5h,10h,10h' }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  ATTACHMENT_MAX_BYTES: Type.Integer({ default: 10_485_760, minimum: 1 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ default: 10_000, minimum: 0 }),
  /** Signs the admin session cookie (≥ 32 chars); a development-only value with a warning when unset. */
  SESSION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** The service's public origin (`https://calendar.example.com`), for the feed URLs it hands out. */
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+$' })),
})

export type Config = Static<typeof configSchema>
