import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { type Config, loadConfig } from '@scheduler/config'
import Fastify, { type FastifyServerOptions } from 'fastify'
import schedulerApi, { type AppOptions } from './app.js'
import { requestLogFields } from './log-serializers.js'

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** A client's `X-Request-Id` when it is a sane token, else a new UUID: log lines and problems carry it. */
function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['x-request-id']
  return typeof header === 'string' && CLIENT_REQUEST_ID.test(header) ? header : randomUUID()
}

/** The Fastify server options, shared by the server and the tests. */
export function appOptions(config: Pick<Config, 'LOG_LEVEL' | 'BODY_LIMIT_BYTES'>): FastifyServerOptions {
  return {
    logger: {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization'],
      serializers: { req: requestLogFields },
    },
    requestIdHeader: false,
    genReqId: requestIdOf,
    bodyLimit: config.BODY_LIMIT_BYTES,
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
 * A ready-to-listen app: configuration from `options.env` (the process environment by default), the
 * server options from `appOptions`, the app plugin registered and ready.
 */
export async function buildApp(options: AppOptions = {}) {
  const config = loadConfig(options.env as NodeJS.ProcessEnv | undefined)
  const app = Fastify(appOptions(config)).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(schedulerApi, options)
  await app.ready()
  return app
}
