import { freshPostgres } from '@scheduler/test-helpers/fresh-postgres'
import fc from 'fast-check'
import pg from 'pg'
import t from 'tap'
import { parseTimestamptz, storeTypes } from '../src/postgres/timestamptz.js'

const pgParser = pg.types.getTypeParser(1184, 'text')

const pad = (value: number, width: number) => String(value).padStart(width, '0')

/** An instant written as PostgreSQL writes a timestamptz (DateStyle ISO) at `offsetSeconds` from UTC. */
function asPostgresWrites(instant: number, micros: number, offsetSeconds: number): string {
  const local = new Date(instant + offsetSeconds * 1000)
  const fraction = (local.getUTCMilliseconds() * 1000 + micros).toString().padStart(6, '0').replace(/0+$/, '')
  const magnitude = Math.abs(offsetSeconds)
  const hours = Math.floor(magnitude / 3600)
  const minutes = Math.floor((magnitude % 3600) / 60)
  const seconds = magnitude % 60
  const offset =
    (offsetSeconds < 0 ? '-' : '+') +
    pad(hours, 2) +
    (minutes || seconds ? `:${pad(minutes, 2)}` : '') +
    (seconds ? `:${pad(seconds, 2)}` : '')
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)} ` +
    `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}` +
    (fraction ? `.${fraction}` : '') +
    offset
  )
}

const instants = fc.integer({ min: Date.UTC(100, 0, 2), max: Date.UTC(9999, 11, 30) })
const offsets = fc.integer({ min: -15 * 3600 - 59 * 60 - 59, max: 15 * 3600 + 59 * 60 + 59 })

t.test(
  'every instant at every offset reads as the instant, to the millisecond, as pg reads it',
  async (t) => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 0, max: 999 }), offsets, (instant, micros, offset) => {
        const text = asPostgresWrites(instant, micros, offset)
        const parsed = parseTimestamptz(text)
        if (!(parsed instanceof Date) || parsed.getTime() !== instant) {
          throw new Error(`${text}: ${String(parsed)} is not ${new Date(instant).toISOString()}`)
        }
        const byPg = pgParser(text) as Date
        // pg's parser multiplies the fraction in floating point; without microseconds it is exact
        if (micros === 0 && byPg.getTime() !== instant)
          throw new Error(`${text}: pg reads ${byPg.toISOString()}`)
      }),
      { numRuns: 20_000 },
    )
    t.pass('20,000 instants and offsets')
  },
)

t.test('what it does not read by position it leaves to pg: the same answer as pg', async (t) => {
  for (const text of [
    'infinity',
    '-infinity',
    '0044-03-15 12:00:00+00 BC',
    '0099-12-31 23:59:59.5+00',
    '0001-01-01 00:00:00+00',
    '12345-01-01 00:00:00+00',
    '2026-11-30 05:39:32.+00',
    '2026-11-30 05:39:32.123Z',
    '2026-11-30 05:39:32.123',
  ]) {
    t.same(parseTimestamptz(text), pgParser(text), text)
  }
})

t.test('timestamps read back from PostgreSQL in several session time zones', async (t) => {
  const url = await freshPostgres(t)
  const plain = new pg.Client({ connectionString: url })
  const fast = new pg.Client({
    connectionString: url,
    // The store's pools' parsers, as the store uses them
    types: storeTypes,
  })
  await plain.connect()
  await fast.connect()
  t.teardown(async () => {
    await plain.end()
    await fast.end()
  })
  // Historical zones give offsets in seconds (Amsterdam 1900: +00:19:32), India and Newfoundland half hours
  for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam', 'Pacific/Kiritimati']) {
    const sql = `SELECT value FROM (VALUES ('1900-06-01 12:00:00.123456Z'::timestamptz),
      ('1937-01-01 00:00:00Z'), ('2026-03-29 01:30:00.5Z'), ('2026-11-30 05:39:32.123Z'), (clock_timestamp()),
      ('0099-06-01 00:00:00Z'), ('infinity'), ('-infinity'), ('0044-03-15 12:00:00Z BC')) AS v(value)`
    await plain.query(`SET TimeZone = '${zone}'`)
    await fast.query(`SET TimeZone = '${zone}'`)
    const expected = (await plain.query(sql)).rows.map((row) => row.value)
    const actual = (await fast.query(sql)).rows.map((row) => row.value)
    // clock_timestamp() differs between the two statements; compare it to the millisecond within a second
    t.same(actual.length, expected.length, zone)
    actual.forEach((value, i) => {
      if (i === 4) t.ok(Math.abs(Number(value) - Number(expected[i])) < 1_000, `${zone}: now`)
      else t.same(value, expected[i], `${zone}: row ${i}`)
    })
  }
})
