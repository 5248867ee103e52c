/**
 * The engine bench's baseline worker, in a process of its own like the placement worker: a BullMQ Worker
 * (concurrency 1) whose processor does nothing. `node --import tsx bench/noop-worker.ts <prefix> <jobs>`
 * prints `warm` after its first job (the warm-up) and `done` after `jobs` more, then exits.
 */
import { createRedisConnection } from '@scheduler/jobs'
import { REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import { Worker } from 'bullmq'

const [prefix = 'bench_noop', jobs = '0'] = process.argv.slice(2)
const total = 1 + Number(jobs)
const connection = createRedisConnection(REDIS_URL, 'worker')
let done = 0
const worker = new Worker('noop', async () => {}, { connection, prefix, concurrency: 1 })
worker.on('completed', () => {
  done++
  if (done === 1) console.log('warm')
  if (done === total) {
    console.log('done')
    void worker.close().then(async () => {
      await connection.quit()
      process.exit(0)
    })
  }
})
