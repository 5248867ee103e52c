import { loadConfig } from '@scheduler/config'
import closeWithGrace from 'close-with-grace'
import { pino } from 'pino'
import { startWorker } from './worker-app.js'

const config = loadConfig()
const logger = pino({ level: config.LOG_LEVEL, name: 'worker' })
const worker = await startWorker(config, logger)

closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'worker crashed')
  else logger.info({ signal }, 'shutting down')
  await worker.close()
})
