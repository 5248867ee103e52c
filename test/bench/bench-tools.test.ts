import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '@scheduler/config'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import { deleteKeys, REDIS_URL } from '@scheduler/test-helpers/redis-keys'
import { freePort, waitUntil } from '@scheduler/test-helpers/service'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import pg from 'pg'
import t from 'tap'
import { mintToken } from '../../apps/api/src/auth/mint-token.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

t.test('the ingress reference prototype accepts a create the way the bench sends it', async (t) => {
  const url = await freshPostgres(t)
  const prefix = `bench_${randomBytes(5).toString('hex')}`
  t.teardown(() => deleteKeys(prefix))
  const secret = randomBytes(32).toString('hex')
  const port = await freePort()
  const child = spawn(process.execPath, ['bench/ingress-prototype.mjs'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      STORE_URL: url,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      JWT_SECRET: secret,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  })
  const base = `http://127.0.0.1:${port}`
  await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 30_000)

  // Tokens as `pnpm token` mints them for this secret
  const config = loadConfig({ JWT_SECRET: secret })
  const token = mintToken(config, { scopes: ['events:read', 'events:write'] })
  const create = (headers: Record<string, string>, body: unknown) =>
    fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  const accepted = await create(
    { authorization: `Bearer ${token}`, 'idempotency-key': 'k1' },
    { title: 'Ingress bench', durationMinutes: 5 },
  )
  t.equal(accepted.status, 202)
  const { id } = (await accepted.json()) as { id: string }

  t.equal((await create({ authorization: 'Bearer nonsense' }, { title: 'x' })).status, 401, 'token first')
  t.equal((await create({ authorization: token }, { title: 'x', durationMinutes: 5 })).status, 401, 'bearer')
  const readOnly = mintToken(config, { scopes: ['events:read'] })
  t.equal((await create({ authorization: `Bearer ${readOnly}` }, { title: 'x' })).status, 403, 'scope')
  t.equal((await create({ authorization: `Bearer ${token}` }, { title: 'x' })).status, 400, 'body')

  // One row and one BullMQ job per accepted create: the steps the bench compares the API with
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())
  const { rows } = await client.query('SELECT id, status FROM prototype_events')
  t.same(rows, [{ id, status: 'pending' }])
  const redis = new Redis(REDIS_URL)
  const queue = new Queue('prototype-placement', { connection: redis, prefix })
  t.teardown(async () => {
    await queue.close()
    redis.disconnect()
  })
  t.equal((await queue.getJob(id))?.data.eventId, id)
  t.equal(await queue.getWaitingCount(), 1, 'one job')

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'stops on SIGTERM')
})

t.test('profile-table leaves out the samples before from-seconds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'profile-table-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'test.cpuprofile')
  const frame = (id: number, functionName: string, children: number[] = []) => ({
    id,
    callFrame: { functionName, url: 'file:///x/apps/api/src/x.ts', lineNumber: 0 },
    children,
  })
  // startUp runs for the first 2 s, steady for the next 1 s (samples of 0.5 s each)
  writeFileSync(
    file,
    JSON.stringify({
      nodes: [frame(1, '(root)', [2, 3]), frame(2, 'startUp'), frame(3, 'steady')],
      samples: [2, 2, 2, 2, 3, 3],
      timeDeltas: [500_000, 500_000, 500_000, 500_000, 500_000, 500_000],
    }),
  )
  const table = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/profile-table.ts', file, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    })
  const all = table('5')
  t.equal(all.status, 0, all.stderr)
  t.match(all.stdout, /3\.0 s sampled/)
  t.match(all.stdout, /startUp/)
  const steady = table('5', '2.2')
  t.equal(steady.status, 0, steady.stderr)
  t.match(steady.stdout, /1\.0 s sampled/)
  t.notMatch(steady.stdout, /startUp/)
  t.match(steady.stdout, /steady/)
})
