import fastifyEnv from '@fastify/env'
import {
  type Config,
  checkConfig,
  configSchema,
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_SESSION_SECRET,
  sessionSecret,
  signingSecret,
} from '@scheduler/config'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
  }
}

export interface EnvPluginOptions {
  /** The environment to read; the process environment when absent. */
  env?: Record<string, string | undefined>
  /**
   * The configuration, loaded and checked already (`buildApp` reads it once for the server options too):
   * used as it is, and `env` is not read.
   */
  config?: Config
}

/** Loads and checks the configuration into `app.config` (or takes `options.config` as loaded). */
export default fp<EnvPluginOptions>(
  async (app: FastifyInstance, options) => {
    if (options.config) {
      app.decorate('config', options.config)
    } else {
      await app.register(fastifyEnv, {
        confKey: 'config',
        schema: configSchema,
        dotenv: false,
        // Given an environment, read only that one (tests build apps side by side in one process)
        ...(options.env ? { data: options.env, env: false } : { env: true }),
      })
      checkConfig(app.config)
    }
    if (signingSecret(app.config) === DEVELOPMENT_JWT_SECRET) {
      app.log.warn(
        'JWT_SECRET and JWT_PUBLIC_KEY are unset: tokens are verified with the development-only secret',
      )
    }
    if (sessionSecret(app.config) === DEVELOPMENT_SESSION_SECRET) {
      app.log.warn('SESSION_SECRET is unset: admin session cookies are signed with the development-only key')
    }
  },
  { name: 'env' },
)
