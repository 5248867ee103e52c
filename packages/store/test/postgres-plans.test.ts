import { aJob, anEvent, anIdempotencyWrite, uniqueId } from '@scheduler/test-helpers/builders'
import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import pg from 'pg'
import t from 'tap'
import type { Submission } from '../src/port.js'
import { GROUP_READ_STATEMENT } from '../src/postgres/postgres-event-reads.js'
import { JOB_RESULTS_STATEMENT } from '../src/postgres/postgres-placement.js'
import { createPostgresStore } from '../src/postgres/postgres-store.js'
import { GROUP_STATEMENT, groupRowJson } from '../src/postgres/postgres-submit.js'

// The statements that take many rows at once (a group of creates, a group of status reads, a batch's job
// results) must find each row by its key, not read a whole table per statement: their cost must not grow
// with the calendar. The planner guesses 100 rows for the input of `unnest`/`jsonb_to_recordset` and, left
// free, joins it to the table by hashing all of it (found by `pnpm bench ingress`: PostgreSQL's CPU per
// keyed create fell from ≈ 240 to ≈ 110 µs once the idempotency lookup stopped doing so). Checked on tables
// of 1,000 and 10,000 rows, never analysed (this machine runs with autovacuum off), analysed when smaller and
// analysed, with the plans PostgreSQL makes for a prepared statement's first runs (custom) and later ones
// (generic).

const ROWS = 10_000
// A named statement's generic plan is made once, at its sixth run, and kept: a plan that suits a small table
// stays when the table has grown. So the plans are checked on a small table and on a large one.
const SIZES = [1_000, ROWS]
const GROUP = 50
const CALENDAR = 'default'
const WATCHED = new Set(['events', 'jobs', 'idempotency_keys'])

interface CheckedStatement {
  name: string
  /** The parameters' types, for PREPARE. */
  types: string
  text: string
  args: unknown[]
  /** Checked only on the large, analysed tables. */
  needsStatistics?: true
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  Plans?: PlanNode[]
}

/** The tables a plan reads whole (sequential or bitmap heap scans over a watched table). */
function tablesReadWhole(node: PlanNode): string[] {
  const here =
    (node['Node Type'] === 'Seq Scan' || node['Node Type'] === 'Bitmap Heap Scan') &&
    node['Relation Name'] !== undefined &&
    WATCHED.has(node['Relation Name'])
      ? [node['Relation Name']]
      : []
  return [...here, ...(node.Plans ?? []).flatMap(tablesReadWhole)]
}

function aSubmission(): Submission {
  const event = anEvent({ id: uniqueId('evt'), calendarId: CALENDAR })
  return {
    calendarId: CALENDAR,
    event,
    job: aJob({ id: uniqueId('job'), calendarId: CALENDAR, eventId: event.id }),
    idempotency: anIdempotencyWrite({ key: uniqueId('key'), createdAt: Date.now() }),
  }
}

const groupJson = (submissions: Submission[]) =>
  `[${submissions.map((submission, n) => groupRowJson(n, submission)).join(',')}]`

t.test('grouped statements find their rows by key however large the tables', async (t) => {
  const url = await freshPostgres(t)
  await (await createPostgresStore(url)).close()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(() => client.end())

  const stored: Submission[] = []
  for (const size of SIZES) {
    while (stored.length < size) {
      const submissions = Array.from({ length: Math.min(500, size - stored.length) }, aSubmission)
      await client.query(GROUP_STATEMENT, [groupJson(submissions)])
      stored.push(...submissions)
    }
    for (const analysed of [false, true]) {
      if (analysed) await client.query('ANALYZE')
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query(`SET plan_cache_mode = ${mode}`)
        for (const statement of statementsOver(stored)) {
          if (statement.needsStatistics && !(analysed && size === ROWS)) continue
          // PREPAREd and EXPLAINed (not run) with literal arguments: the plan cache mode decides the plan
          const literals = statement.args.map((arg) => client.escapeLiteral(literal(arg)))
          try {
            await client.query(`PREPARE checked (${statement.types}) AS ${statement.text}`)
            const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
              `EXPLAIN (FORMAT JSON) EXECUTE checked (${literals.join(', ')})`,
            )
            const plan = rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode
            t.strictSame(
              tablesReadWhole(plan),
              [],
              `${statement.name}: ${size} rows, ${analysed ? 'analysed' : size === SIZES[0] ? 'never analysed' : `analysed at ${SIZES[0]}`}, ${mode}`,
            )
          } finally {
            await client.query('DEALLOCATE checked')
          }
        }
      }
    }
  }
})

/** The statements checked, with arguments drawn from the rows stored so far. */
function statementsOver(stored: Submission[]): CheckedStatement[] {
  const some = stored.filter((_, i) => i % Math.floor(stored.length / GROUP) === 0).slice(0, GROUP)
  return [
    {
      name: 'a group of creates, some of them retries',
      types: 'jsonb',
      text: GROUP_STATEMENT,
      args: [groupJson([...Array.from({ length: GROUP - 5 }, aSubmission), ...some.slice(0, 5)])],
    },
    {
      name: 'a group of status reads',
      types: 'text[], text[]',
      text: GROUP_READ_STATEMENT,
      args: [some.map(() => CALENDAR), some.map((submission) => submission.event?.id)],
    },
    {
      // Sent unnamed, so planned afresh each time: on a small table a scan is the cheap plan, and without
      // current statistics the planner takes `calendar_id = $1` for a rare value and reads the calendar's
      // jobs by `jobs_by_event`. Checked where it matters: a large table that autovacuum has analysed.
      name: "a batch's job results",
      types: 'text, text[], text[], jsonb[], jsonb[], timestamptz[]',
      text: JOB_RESULTS_STATEMENT,
      args: [
        CALENDAR,
        some.map((submission) => submission.job.id),
        some.map(() => 'completed'),
        some.map(() => null),
        some.map(() => null),
        some.map(() => new Date()),
      ],
      needsStatistics: true,
    },
  ]
}

/** A parameter as the text PostgreSQL's input functions read (arrays as `{…}` literals). */
function literal(value: unknown): string {
  if (!Array.isArray(value)) return String(value)
  return `{${value.map((item) => (item === null ? 'NULL' : `"${(item instanceof Date ? item.toISOString() : String(item)).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`
}
