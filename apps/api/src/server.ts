import closeWithGrace from 'close-with-grace'
import { buildApp } from './app-options.js'

/**
 * The API process: builds the app, listens on HOST:PORT, and on SIGINT/SIGTERM (or a fatal error) stops
 * accepting requests, finishes those in flight and closes the queue, Redis and the store, within
 * SHUTDOWN_GRACE_MS.
 */
const app = await buildApp()

closeWithGrace({ delay: app.config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after a fatal error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})

try {
  await app.listen({ host: app.config.HOST, port: app.config.PORT })
} catch (error) {
  app.log.error({ err: error }, 'could not listen')
  await app.close()
  process.exit(1)
}
