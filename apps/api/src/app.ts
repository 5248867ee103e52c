import { contractSchemas } from '@scheduler/contract'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { BadRequestProblem, UriTooLongProblem } from './errors.js'
import { expectationFailed, MAX_URL_LENGTH } from './framework-errors.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js'
import adminSessionPlugin from './plugins/app/admin-session.js'
import authPlugin from './plugins/app/auth.js'
import errorHandlerPlugin from './plugins/app/error-handler.js'
import idempotencyPlugin from './plugins/app/idempotency.js'
import metricsPlugin from './plugins/app/metrics.js'
import securityHeadersPlugin from './plugins/app/security-headers.js'
import servicesPlugin from './plugins/app/services.js'
import envPlugin, { type EnvPluginOptions } from './plugins/external/env.js'
import jwtPlugin from './plugins/external/jwt.js'
import rateLimitPlugin from './plugins/external/rate-limit.js'
import redisPlugin from './plugins/external/redis.js'
import storePlugin from './plugins/external/store.js'
import swaggerPlugin from './plugins/external/swagger.js'
import adminRoutes from './routes/admin/index.js'
import calendarFeedRoutes from './routes/calendar-feed.js'
import calendarPageRoutes from './routes/calendar-page.js'
import healthRoutes from './routes/health.js'
import v1Routes from './routes/v1/index.js'
import { createValidatorCompiler } from './validation.js'

export type AppOptions = EnvPluginOptions

const JSON_TYPES = ['application/json', 'application/merge-patch+json']

/** No body at all, as Fastify itself decides it: no `Transfer-Encoding` and no or a zero `Content-Length`. */
function hasNoBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')
}

/**
 * Checks of the request line and headers made before authentication or anything else: a request target
 * longer than MAX_URL_LENGTH is a 414; an HTTP/1.1 request without `Host` a 400 (RFC 9112 §3.2; Node's own
 * check, which answers without a body, is turned off in the server options so that this one answers).
 */
function checkRequestHead(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  if (request.url.length > MAX_URL_LENGTH) {
    done(new UriTooLongProblem(`The URL is longer than ${MAX_URL_LENGTH} characters`))
  } else if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    done(new BadRequestProblem('An HTTP/1.1 request must carry a Host header'))
  } else done()
}

/**
 * The scheduler API as a plugin. Tiers load in order: external plugins (configuration, Redis and the
 * placement queue, the store, JWT verification, the OpenAPI document, rate limiting), then the app's own
 * (problem answers, security headers, authentication, metrics, the services, idempotency), then the routes.
 */
async function schedulerApi(app: FastifyInstance, options: AppOptions) {
  for (const schema of contractSchemas) app.addSchema(schema)
  app.setValidatorCompiler(createValidatorCompiler(contractSchemas))

  // JSON only (a body of any other type is a 415); an empty JSON body is no body, so that
  // `POST …/cancel` with `Content-Type: application/json` and nothing else works
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined)
    else if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(
        new BadRequestProblem(`The JSON body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`),
      )
    } else parseJson(request, body as string, done)
  })
  // An empty body is no body, whatever type it declares (even an empty or malformed one): its Content-Type
  // is dropped before parsing, so `POST …/cancel` and `DELETE` (which take none) work with any or none
  // (Callback hooks here and in checkRequestHead: they run on every request, and a promise each is a cost)
  app.addHook('preParsing', (request, _reply, payload, done) => {
    if (request.headers['content-type'] !== undefined && hasNoBody(request)) {
      delete request.headers['content-type']
    }
    done(null, payload)
  })
  app.addHook('onRequest', checkRequestHead)
  app.server.on('checkExpectation', expectationFailed)

  // First: a route keeps the error handler in force where it is declared, and the swagger plugin declares
  // `/openapi.json` and `/docs` (a 414 there was Fastify's own JSON, found by the contract fuzzer)
  await app.register(errorHandlerPlugin)
  await app.register(envPlugin, options)
  await app.register(redisPlugin)
  await app.register(storePlugin)
  await app.register(jwtPlugin)
  await app.register(swaggerPlugin)
  await app.register(rateLimitPlugin)

  await app.register(securityHeadersPlugin)
  await app.register(authPlugin)
  await app.register(metricsPlugin)
  await app.register(servicesPlugin)
  await app.register(idempotencyPlugin)
  await app.register(adminSessionPlugin)

  await app.register(healthRoutes)
  await app.register(v1Routes, { prefix: '/v1' })
  await app.register(calendarPageRoutes)
  // Outside the `/v1` plugin: its credential is the feed token in the query, not a bearer token
  await app.register(calendarFeedRoutes, { prefix: '/v1' })
  await app.register(adminRoutes)
}

export default fp(schedulerApi, { name: 'scheduler-api', fastify: '5.x' })
