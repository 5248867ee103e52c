import pg from 'pg'

const TIMESTAMPTZ_OID = 1184
const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text')

const ZERO = 48
const HYPHEN = 45
const PLUS = 43
const SPACE = 32
const COLON = 58
const DOT = 46

/** The decimal number written by `count` digits of `text` from `at`; NaN when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - ZERO
    if (!(digit >= 0 && digit <= 9)) return Number.NaN
    value = value * 10 + digit
  }
  return value
}

/**
 * A `timestamptz` as PostgreSQL writes it with `DateStyle` ISO (its default; PostgreSQL documentation, 8.5.2
 * "Date/Time Output"): `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`, the offset the session's `TimeZone`
 * had at that instant. Read by position, with no regular expression: pg's own parser (postgres-date) was
 * ≈ 3 % of the API's time on the status route, six timestamps a row. Digits finer than a millisecond are
 * dropped, as there. Anything else (a year before 100 or after 9999, BC, `infinity`) is left to pg's parser.
 */
export function parseTimestamptz(text: string): Date | number | null {
  if (
    text.length < 22 ||
    text.charCodeAt(4) !== HYPHEN ||
    text.charCodeAt(7) !== HYPHEN ||
    text.charCodeAt(10) !== SPACE ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON
  ) {
    return fallback(text)
  }
  const year = digits(text, 0, 4)
  let at = 19
  let ms = 0
  if (text.charCodeAt(at) === DOT) {
    const first = ++at
    while (at < text.length && digits(text, at, 1) >= 0) at++
    const count = at - first
    if (count === 0) return fallback(text)
    ms = digits(text, first, Math.min(3, count)) * (count >= 3 ? 1 : count === 2 ? 10 : 100)
  }
  const sign = text.charCodeAt(at)
  if (sign !== PLUS && sign !== HYPHEN) return fallback(text)
  let offsetSeconds = digits(text, at + 1, 2) * 3600
  at += 3
  if (text.charCodeAt(at) === COLON) {
    offsetSeconds += digits(text, at + 1, 2) * 60
    at += 3
    if (text.charCodeAt(at) === COLON) {
      offsetSeconds += digits(text, at + 1, 2)
      at += 3
    }
  }
  const utc = Date.UTC(
    year,
    digits(text, 5, 2) - 1,
    digits(text, 8, 2),
    digits(text, 11, 2),
    digits(text, 14, 2),
    digits(text, 17, 2),
    ms,
  )
  // Date.UTC reads the years 0 to 99 as 1900 to 1999
  if (at !== text.length || year < 100 || Number.isNaN(utc + offsetSeconds)) return fallback(text)
  return new Date(utc - (sign === PLUS ? 1 : -1) * offsetSeconds * 1000)
}

/** pg's type parsers with `parseTimestamptz` for `timestamptz` in text form: the store's pools use these. */
export const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary'
      ? parseTimestamptz
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
}
