import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type JsonObject, startService } from '@scheduler/test-helpers/service'
import t from 'tap'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  json: JsonObject
}

t.test('the scheduler CLI against the real service', async (t) => {
  const service = await startService(t, {
    CALENDAR_TIMEZONE: 'UTC',
    CALENDAR_WORKING_HOURS: 'mon-sun 06:00-22:00',
    CALENDAR_HORIZON_DAYS: '30',
  })
  await service.startApi()
  service.startWorker()
  const dir = await mkdtemp(join(tmpdir(), 'scheduler-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  /** Runs the CLI as a user would (`pnpm cli …` runs the same entry) and collects what it printed. */
  async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        SCHEDULER_URL: service.baseUrl,
        SCHEDULER_TOKEN: service.token(),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const [code] = await once(child, 'exit')
    let json: JsonObject = {}
    try {
      json = JSON.parse(stdout)
    } catch {}
    return { code: code as number | null, stdout, stderr, json }
  }

  async function eventCount(): Promise<number> {
    let count = 0
    let cursor: string | null = null
    do {
      const page: JsonObject = (
        await service.call(
          'GET',
          `/v1/events?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
      ).body
      count += page.items.length
      cursor = page.nextCursor
    } while (cursor)
    return count
  }

  t.test('token mints a token that the service accepts, with the scopes asked for', async (t) => {
    const run = await cli(['token', 'events:read', '--ttl', '120'], { JWT_SECRET: service.env.JWT_SECRET! })
    t.equal(run.code, 0, run.stderr)
    const token = run.stdout.trim()
    t.equal((await service.call('GET', '/v1/events', { token })).status, 200)
    t.equal(
      (await service.call('POST', '/v1/events', { token, body: { title: 'x', durationMinutes: 30 } })).status,
      403,
    )
    const bad = await cli(['token', 'events:everything'], { JWT_SECRET: service.env.JWT_SECRET! })
    t.equal(bad.code, 1)
    t.match(bad.stderr, /unknown scope/)
  })

  t.test('create --wait, list, show, watch, cancel and delete', async (t) => {
    const created = await cli([
      '--json',
      'events',
      'create',
      '--title',
      'Board sync',
      '--duration',
      '30',
      '--wait',
    ])
    t.equal(created.code, 0, created.stderr)
    t.equal(created.json.event.status, 'scheduled')
    const id = created.json.event.id as string
    t.equal(created.json.job.state, 'completed')

    const listed = await cli(['--json', 'events', 'list', '--status', 'scheduled', '--all'])
    t.equal(listed.code, 0, listed.stderr)
    t.ok((listed.json as JsonObject[]).some((event) => event.id === id))
    const human = await cli(['events', 'list'])
    t.match(human.stdout, new RegExp(`${id}\\s+scheduled`))

    const shown = await cli(['events', 'show', id])
    t.equal(shown.code, 0)
    t.match(shown.stdout, /Board sync/)
    t.match(shown.stdout, /status:\s+scheduled/)

    const watched = await cli(['--json', 'watch', created.json.job.id])
    t.equal(watched.code, 0)
    t.equal(watched.json.applied, true)

    const cancelled = await cli(['--json', 'events', 'cancel', id, '--wait'])
    t.equal(cancelled.code, 0, cancelled.stderr)
    t.equal(cancelled.json.event.status, 'cancelled')
    const deleted = await cli(['--json', 'events', 'delete', id, '--wait'])
    t.equal(deleted.code, 0, deleted.stderr)
    t.equal(deleted.json.event, null)
    const gone = await cli(['events', 'show', id])
    t.equal(gone.code, 2, 'a 404 is a service refusal')
    t.match(gone.stderr, /404/)
  })

  t.test(
    'events sync: a full listing with its token, then every change since, deletions as tombstones',
    async (t) => {
      const first = await cli(['--json', 'events', 'sync'])
      t.equal(first.code, 0, first.stderr)
      t.type(first.json.syncToken, 'string')
      const created = await service.createAndPlace({ title: 'Synced', durationMinutes: 30 })
      const doomed = await service.createAndPlace({ title: 'Doomed', durationMinutes: 30 })
      const gone = await service.call('DELETE', `/v1/events/${doomed.id}`)
      await service.waitForJob(gone.body.job.id)
      const changes = await cli(['--json', 'events', 'sync', '--since', first.json.syncToken])
      t.equal(changes.code, 0, changes.stderr)
      const items = changes.json.items as JsonObject[]
      t.ok(
        items.some((item) => item.id === created.id && item.status === 'scheduled'),
        'the new event',
      )
      t.ok(
        items.some((item) => item.id === doomed.id && item.deleted === true),
        'the deleted one as a tombstone',
      )
      t.not(changes.json.syncToken, first.json.syncToken)
      const human = await cli(['events', 'sync', '--since', changes.json.syncToken])
      t.match(human.stdout, /^syncToken \S+$/m)
      const expired = await cli(['events', 'sync', '--since', 'not-a-token'])
      t.equal(expired.code, 2)
      t.match(expired.stderr, /410/)
    },
  )

  t.test('exit codes say what happened: refused, not placed, unreachable, bad usage', async (t) => {
    const refused = await cli([
      'events',
      'create',
      '--title',
      'Past',
      '--duration',
      '30',
      '--start',
      '2020-01-01T10:00:00Z',
    ])
    t.equal(refused.code, 2)
    t.match(refused.stderr, /422/)
    const notPlaced = await cli([
      'events',
      'create',
      '--title',
      'Night',
      '--duration',
      '30',
      '--not-after',
      new Date(Date.now() + 60_000).toISOString(),
      '--wait',
    ])
    t.equal(notPlaced.code, 3, notPlaced.stderr + notPlaced.stdout)
    t.match(notPlaced.stdout, /failure:\s+(NO_SLOT_AVAILABLE|OUTSIDE_HORIZON)/)
    const unreachable = await cli(['events', 'list'], { SCHEDULER_URL: 'http://127.0.0.1:9' })
    t.equal(unreachable.code, 2)
    t.match(unreachable.stderr, /cannot reach/)
    const usage = await cli(['events', 'create', '--title', 'No duration'])
    t.equal(usage.code, 1)
    const unauthorised = await cli(['events', 'list'], { SCHEDULER_TOKEN: 'not-a-token' })
    t.equal(unauthorised.code, 2)
    t.match(unauthorised.stderr, /401/)
  })

  t.test('import: a 200-row CSV with bad rows, then a re-run that creates nothing new', async (t) => {
    const header = 'title,durationMinutes,date,notBefore,location,attendees'
    const lines = [header]
    const bad = new Map<number, RegExp>()
    for (let i = 1; i <= 200; i++) {
      const line = i + 1
      if (i % 40 === 0) {
        lines.push(`Bad duration ${i},3,,,,`)
        bad.set(line, /durationMinutes/)
      } else if (i % 55 === 0) {
        lines.push(`,30,,,,`)
        bad.set(line, /title is missing/)
      } else if (i === 77) {
        lines.push(`Bad email,30,,,,not-an-email`)
        bad.set(line, /not an email/)
      } else {
        lines.push(
          `Backlog item ${i},${15 + (i % 4) * 15},,,Room ${i % 5},"Ann <ann@example.com>; bob@example.com"`,
        )
      }
    }
    const file = join(dir, 'backlog.csv')
    await writeFile(file, `${lines.join('\n')}\n`)
    const before = await eventCount()

    const strict = await cli(['--json', 'import', file])
    t.equal(strict.code, 1, 'invalid rows: nothing imported without --skip-invalid')
    t.equal(strict.json.imported, false)
    t.same(
      (strict.json.invalid as { line: number }[]).map((p) => p.line),
      [...bad.keys()].sort((a, b) => a - b),
    )
    for (const problem of strict.json.invalid as { line: number; message: string }[])
      t.match(problem.message, bad.get(problem.line)!, `line ${problem.line}`)
    t.equal(await eventCount(), before, 'nothing half-imported')

    const first = await cli(['--json', 'import', file, '--skip-invalid', '--concurrency', '8'])
    t.equal(first.code, 3, 'invalid rows skipped: not everything was imported')
    const valid = 200 - bad.size
    t.equal(first.json.rows, 200)
    t.equal(first.json.placed, valid, first.stderr)
    t.equal(first.json.failed.length, 0)
    t.equal(first.json.skipped.length, bad.size)
    t.equal(await eventCount(), before + valid)

    const again = await cli(['--json', 'import', file, '--skip-invalid'])
    t.equal(again.json.placed, 0, 'a re-run creates nothing')
    t.equal(again.json.skipped.length, 200)
    t.match(again.json.skipped[0].reason, /already imported as evt_/)
    t.equal(await eventCount(), before + valid, 'no event created twice')

    const human = await cli(['import', file, '--skip-invalid'])
    t.match(human.stdout, /200 rows — 0 placed/)
    t.match(human.stdout, /line 41: skipped: invalid: durationMinutes/)
  })

  t.test('import: an iCalendar file, fixed and all-day events, cancelled and recurring ones', async (t) => {
    // Past the days the CSV import above filled up, within the 30-day horizon.
    const start = new Date(Date.now() + 20 * 86_400_000)
    start.setUTCHours(10, 0, 0, 0)
    const stamp = (d: Date) =>
      d
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '')
    const day = start.toISOString().slice(0, 10).replace(/-/g, '')
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//cli//EN',
      'BEGIN:VEVENT',
      'UID:fixed-1@test',
      `DTSTAMP:${stamp(new Date())}`,
      `DTSTART:${stamp(start)}`,
      `DTEND:${stamp(new Date(start.getTime() + 45 * 60_000))}`,
      'SUMMARY:Investor call',
      'LOCATION:Room 9',
      'ATTENDEE;CN=Ann;ROLE=REQ-PARTICIPANT:mailto:ann@example.com',
      'ATTENDEE;ROLE=OPT-PARTICIPANT:mailto:opt@example.com',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:allday-1@test',
      `DTSTAMP:${stamp(new Date())}`,
      `DTSTART;VALUE=DATE:${day}`,
      'DURATION:PT30M',
      'SUMMARY:Expense review',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:gone-1@test',
      `DTSTAMP:${stamp(new Date())}`,
      `DTSTART:${stamp(start)}`,
      'DURATION:PT30M',
      'SUMMARY:Called off',
      'STATUS:CANCELLED',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:weekly-1@test',
      `DTSTAMP:${stamp(new Date())}`,
      `DTSTART:${stamp(start)}`,
      'DURATION:PT30M',
      'RRULE:FREQ=WEEKLY',
      'SUMMARY:Weekly',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n')
    const file = join(dir, 'backlog.ics')
    await writeFile(file, ics)
    const run = await cli(['--json', 'import', file, '--skip-invalid'])
    t.equal(run.code, 3, run.stderr)
    t.equal(run.json.placed, 2)
    t.same(
      (run.json.invalid as { line: number; message: string }[]).map((p) => [
        p.line,
        /recurring/.test(p.message),
      ]),
      [[29, true]],
    )
    const listed = await cli(['--json', 'events', 'list', '--all', '--limit', '500'])
    const investor = (listed.json as JsonObject[]).find((event) => event.title === 'Investor call')!
    t.equal(investor.placement, 'fixed')
    t.equal(investor.start, start.toISOString())
    t.equal(investor.durationMinutes, 45)
    t.same(
      investor.attendees.map((a: JsonObject) => [a.email, a.required]),
      [
        ['ann@example.com', true],
        ['opt@example.com', false],
      ],
    )
    const review = (listed.json as JsonObject[]).find((event) => event.title === 'Expense review')!
    t.equal(review.placement, 'auto')
    t.equal(review.start.slice(0, 10), start.toISOString().slice(0, 10))
    t.notOk((listed.json as JsonObject[]).some((event) => event.title === 'Called off'))
  })
})
