import { randomUUID } from 'node:crypto'
import type { IncomingMessage, Server } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { type Config, loadConfig } from '@scheduler/config'
import Fastify, { type FastifyHttpOptions } from 'fastify'
import pino from 'pino'
import schedulerApi, { type AppOptions } from './app.js'
import { clientErrorHandler, frameworkErrors, MAX_URL_LENGTH } from './framework-errors.js'
import { requestLogFields } from './log-serializers.js'
import { OneLineRequestLog } from './request-log.js'

/** A log line waits at most this long (ms) for others to share its write. */
const LOG_FLUSH_MS = 250

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** A client's `X-Request-Id` when it is a sane token, else a new UUID: log lines and problems carry it. */
function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id']
  return typeof header === 'string' && CLIENT_REQUEST_ID.test(header) ? header : randomUUID()
}

/** The settings `appOptions` reads. */
export type ServerConfig = Pick<
  Config,
  | 'LOG_LEVEL'
  | 'BODY_LIMIT_BYTES'
  | 'REQUEST_TIMEOUT_MS'
  | 'HEADERS_TIMEOUT_MS'
  | 'CONNECTION_TIMEOUT_MS'
  | 'KEEP_ALIVE_TIMEOUT_MS'
>

/** The Fastify server options, shared by the server and the tests. */
export function appOptions(config: ServerConfig): FastifyHttpOptions<Server> {
  return {
    logger: {
      level: config.LOG_LEVEL,
      // A request is logged through this serializer only, which leaves its headers (the bearer token, the
      // session cookie) out: no per-line redaction pass is needed (log-serializers.test.ts proves it)
      serializers: { req: requestLogFields },
      // Lines go out in writes of 4 KiB or more, instead of one write per line (one per request at `info`),
      // and at least every LOG_FLUSH_MS when fewer come; pino flushes what is left when the process exits
      stream: pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_MS }),
    },
    // One line per request instead of two (request-log.ts)
    logController: new OneLineRequestLog(),
    requestIdHeader: false,
    genReqId: requestIdOf,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Slow clients cannot hold a connection for ever: Fastify turns Node's request timeout off by default.
    // Node checks the request and header timeouts every `connectionsCheckingInterval` (30 s by default):
    // check often enough that a timeout is enforced close to its value.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, config.HEADERS_TIMEOUT_MS),
      // Answered as a problem by the app instead (app.ts), with the standard headers
      requireHostHeader: false,
    },
    // Path parameters are limited by their schemas (the documented maxLength answers 400), not by the router:
    // its limit is the URL's own (414)
    routerOptions: { maxParamLength: MAX_URL_LENGTH },
    // What Fastify and Node refuse before a route runs is answered as problem+json too
    frameworkErrors,
    clientErrorHandler,
    // The API is reached directly or through a proxy that is not trusted to name the client
    trustProxy: false,
    // The routes compile their schemas with the app's own ajv instances (validation.ts); these options
    // match them for anything compiled outside the app plugin
    ajv: {
      customOptions: { removeAdditional: false, useDefaults: true, coerceTypes: 'array', allErrors: false },
    },
  }
}

/**
 * A ready-to-listen app: configuration from `options.env` (the process environment by default), read
 * once and given to both the server options (`appOptions`) and the app plugin, registered and ready.
 */
export async function buildApp(options: AppOptions = {}) {
  const config = options.config ?? loadConfig(options.env as NodeJS.ProcessEnv | undefined)
  const app = Fastify(appOptions(config)).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(schedulerApi, { ...options, config })
  await app.ready()
  return app
}
