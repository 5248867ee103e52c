import fc from 'fast-check'
import { generateSync } from 'json-schema-faker'
import type { Json, Operation, Parameter, Schema } from './openapi-operations.js'

/**
 * fast-check arbitraries of requests for one OpenAPI operation: valid ones (json-schema-faker draws a value
 * of each schema from a seed fast-check picks, so the seed shrinks like any other input), boundary ones and
 * invalid ones (fast-check mutations of valid values, odd text, wrong types, odd headers and URLs).
 *
 * An arbitrary produces a plan; `Pools` turns it into a request when it runs, so that path ids can name the
 * resources that exist at that moment (`{ pool, index }`) and `If-Match` the event's current entity tag.
 */

export type PoolName =
  | 'event'
  | 'job'
  | 'attachment'
  | 'webhook'
  | 'feedToken'
  | 'email'
  /** Texts the API handed out: `nextCursor`, `syncToken`, a feed token's secret. */
  | 'cursor'
  | 'syncToken'
  | 'feedSecret'

/** A path, query or header value: literal text, or the `index`-th (modulo) resource of a pool. */
export type Value = { text: string } | { pool: PoolName; index: number }

export type Body =
  | { json: unknown }
  /** Bytes sent as they are (`latin1` holds each byte in one code unit). */
  | { raw: string; encoding?: 'utf8' | 'latin1' }
  | { multipart: Part[]; boundary: string; declaredBoundary?: string | null }
  /** `bytes` bytes: larger than the body limit. */
  | { oversized: number }

export interface Part {
  name: string
  filename?: string
  contentType?: string
  data: string
}

export interface Plan {
  operationId: string
  path: Record<string, Value>
  /** Query pairs in order; a name may repeat. Raw pairs are appended unencoded. */
  query: [string, string][]
  /** Query parameters whose value is one the API handed out (a cursor, a sync token); they replace `query`'s. */
  pooledQuery: [name: string, pool: PoolName, index: number][]
  rawQuery: string[]
  /** Characters appended to the query so the URL exceeds the longest accepted (a 414). */
  padding: number
  headers: Record<string, string>
  /** `current`: the event's current `ETag` (read just before the request). */
  ifMatch: string | 'current' | null
  body: Body | null
}

/** The tokens the plans use: `valid` has every scope; the others are refused (401) or lack a scope (403). */
export interface Tokens {
  valid: string
  readOnly: string
  expired: string
  wrongSecret: string
  unsigned: string
}

// Strings a careless server trips on: empty, NUL, unpaired surrogates, combining marks, bidi overrides,
// emoji, numbers and literals as text, markup, path tricks, SQL.
const ODD_TEXT = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\udc00\ud800',
  '😀',
  'e\u0301',
  '\u202eabc',
  '\ufeff',
  '\u2028',
  'Ω≈ç√',
  '0',
  '-1',
  '1e309',
  '-0',
  '0x10',
  'NaN',
  'Infinity',
  'null',
  'true',
  'undefined',
  '[]',
  '{}',
  '"',
  "'",
  '\\',
  '%00',
  '%',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '2026-02-30T25:61:61Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '2026-11-29T12:00:00+14:00',
  '2026-11-29',
  'user@example.com',
  'a@b',
  '@',
  'https://127.0.0.1/',
  'ftp://example.com/',
  'evt_',
  'job_0',
  'whk_x',
  'att_x',
  'ftk_x',
]

const unpairedSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code))

/** Odd text: from the list above, any Unicode, unpaired surrogates mixed in, or long runs. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), unpairedSurrogate, fc.string({ maxLength: 8 }))
      .map((parts) => parts.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('x', 'é', '😀', '\u0000', '9'), fc.integer({ min: 200, max: 3_000 }))
      .map(([unit, count]) => unit.repeat(count)),
  },
)

/** A JSON value of the wrong kind for most places: null, numbers at their edges, text, arrays, objects. */
export const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: oddText },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      -0,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      4.9e-324,
      [],
      {},
      [null],
      { '': null },
      { __proto__: null, constructor: { prototype: { polluted: true } } },
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
)

/** A header value Node's parser would let through (printable ASCII or Latin-1; no NUL, CR or LF). */
const headerText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc
    .string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)),
      maxLength: 40,
    })
    .filter((text) => !text.includes('\u007f')),
  fc.integer({ min: 100, max: 9000 }).map((count) => 'k'.repeat(count)),
)

/** A value of `schema` drawn by json-schema-faker from a seed fast-check chooses (and shrinks). */
export function schemaValue(schema: Schema): fc.Arbitrary<unknown> {
  return fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((seed) => fake(schema, seed))
}

function fake(schema: Schema, seed: number): unknown {
  try {
    return generateSync(schema as Json, {
      seed,
      maxDefaultItems: 3,
      optionalsProbability: 0.5,
      minDateTime: '2026-01-01',
      maxDateTime: '2028-12-31',
      failOnInvalidTypes: false,
    })
  } catch {
    return null
  }
}

/** Where a path parameter's existing resources come from. */
export function poolOf(operation: Operation, name: string): PoolName | null {
  if (name === 'email') return 'email'
  if (name === 'attachmentId') return 'attachment'
  if (name !== 'id') return null
  if (operation.path.startsWith('/v1/events/')) return 'event'
  if (operation.path.startsWith('/v1/jobs/')) return 'job'
  if (operation.path.startsWith('/v1/webhooks/')) return 'webhook'
  if (operation.path.startsWith('/v1/calendar/feed-tokens/')) return 'feedToken'
  return null
}

// Segments that keep the request on the operation's route: never empty, never a dot segment (`..` is
// resolved away by URL parsing), raw percent-encodings included.
const RAW_SEGMENTS = ['%FF', '%00', '%2F', '%ED%A0%80', '%C0%AF', 'a%20b', '%25', '%E2%80%AE', ';x', 'a:b']

function pathValue(operation: Operation, parameter: Parameter): fc.Arbitrary<Value> {
  const pool = poolOf(operation, parameter.name)
  const texts = fc.oneof(
    { weight: 2, arbitrary: schemaValue(parameter.schema).map((value) => String(value ?? 'x')) },
    { weight: 2, arbitrary: oddText },
  )
  const literal = fc.oneof(
    {
      weight: 4,
      arbitrary: texts
        .filter((text) => text !== '' && text !== '.' && text !== '..')
        .map((text) => ({ text: encodeText(text) })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS).map((text) => ({ text })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.integer({ min: 256, max: 8100 }), fc.integer({ min: 8100, max: 9000 }))
        .map((count) => ({ text: 'i'.repeat(count) })),
    },
  )
  if (pool === null) return literal
  return fc.oneof(
    { weight: 5, arbitrary: fc.nat({ max: 1000 }).map((index): Value => ({ pool, index })) },
    { weight: 3, arbitrary: literal },
  )
}

function isArraySchema(schema: Schema): boolean {
  return typeof schema === 'object' && schema.type === 'array'
}

function queryPairs(parameter: Parameter): fc.Arbitrary<[string, string][]> {
  const name = parameter.name
  const scalar = (schema: Schema) =>
    schemaValue(schema).map((value) => (typeof value === 'string' ? value : JSON.stringify(value ?? null)))
  const items =
    typeof parameter.schema === 'object' && parameter.schema.items !== undefined
      ? (parameter.schema.items as Schema)
      : parameter.schema
  const valid = isArraySchema(parameter.schema)
    ? fc.oneof(
        fc
          .array(scalar(items), { minLength: 1, maxLength: 4 })
          .map((values) => values.map((value): [string, string] => [name, value])),
        fc
          .array(scalar(items), { minLength: 1, maxLength: 4 })
          .map((values): [string, string][] => [[name, values.join(',')]]),
      )
    : scalar(parameter.schema).map((value): [string, string][] => [[name, value]])
  return fc.oneof(
    {
      // Rarely required ones; a cursor or sync token made up is refused, the pooled ones are the valid ones
      weight: parameter.required ? 1 : name in QUERY_POOLS ? 40 : 12,
      arbitrary: fc.constant<[string, string][]>([]),
    },
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: oddText.map((text): [string, string][] => [[name, text]]) },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, valid).map(([first, second]) => [...first, ...second]),
    },
    { weight: 1, arbitrary: fc.constant<[string, string][]>([[name, '']]) },
  )
}

const RAW_QUERY = [
  '%',
  '%zz',
  '%FF',
  '&&',
  '=',
  '==x',
  'a[b]=c',
  'a[]=1&a[]=2',
  'limit',
  '__proto__[x]=1',
  'constructor=1',
  '%00=%00',
]

function contentTypes(operation: Operation): fc.Arbitrary<string | null> {
  const documented = Object.keys(operation.requestBody?.content ?? {})
  const odd = fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'application/json; charset=latin1',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/merge-patch+json',
    'application/xml',
    ';;;',
    'application/json, text/plain',
    '',
  )
  return fc.oneof(
    {
      weight: documented.length > 0 ? 8 : 0,
      arbitrary: fc.constantFrom(...(documented.length > 0 ? documented : ['x'])),
    },
    { weight: 2, arbitrary: odd },
    { weight: 1, arbitrary: fc.constant(null) },
  )
}

function authorization(operation: Operation, tokens: Tokens): fc.Arbitrary<string | null> {
  return fc.oneof(
    { weight: operation.secured ? 24 : 2, arbitrary: fc.constant(`Bearer ${tokens.valid}`) },
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        `Bearer ${tokens.readOnly}`,
        `Bearer ${tokens.expired}`,
        `Bearer ${tokens.wrongSecret}`,
        `Bearer ${tokens.unsigned}`,
        `bearer ${tokens.valid}`,
        `Bearer  ${tokens.valid}`,
        `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'Bearer',
        'Bearer a.b.c',
        `Bearer ${tokens.valid}x`,
        `Bearer ${'A'.repeat(8000)}`,
      ),
    },
    { weight: 1, arbitrary: headerText.map((text) => `Bearer ${text}`) },
  )
}

function jsonBody(schema: Schema, example: unknown): fc.Arbitrary<Body> {
  const valid = schemaValue(schema)
  const base = example === undefined ? valid : fc.oneof(valid, fc.constant(example))
  const mutated = fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.constantFrom('drop', 'set', 'add'), fc.nat(), oddJson), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([value, mutations]) => mutate(value, mutations))
  const raw = fc.oneof(
    fc.constantFrom(
      '',
      'null',
      '[]',
      '"text"',
      '42',
      '{',
      '{"title":',
      '{"a":1}}',
      '{"title":"a","title":"b","durationMinutes":30}',
      '{"__proto__":{"polluted":true}}',
      '\ufeff{}',
      '{"title":"\\ud800","durationMinutes":30}',
      '{"title":"a\\u0000b","durationMinutes":30}',
      '{"durationMinutes":"30","title":"x"}',
      '{"durationMinutes":30.0,"title":"x"}',
      '{"durationMinutes":3e1,"title":"x"}',
      '{"durationMinutes":1e999,"title":"x"}',
      'title=x&durationMinutes=30',
    ),
    fc.integer({ min: 10, max: 20_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    fc.integer({ min: 10, max: 5_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    fc.string({ unit: 'binary', maxLength: 64 }),
  )
  return fc.oneof(
    { weight: 4, arbitrary: base.map((json): Body => ({ json })) },
    { weight: 4, arbitrary: mutated.map((json): Body => ({ json })) },
    { weight: 1, arbitrary: oddJson.map((json): Body => ({ json })) },
    { weight: 2, arbitrary: raw.map((text): Body => ({ raw: text })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('\xff\xfe{}', '{"title":"\xe9"}')
        .map((text): Body => ({ raw: text, encoding: 'latin1' })),
    },
  )
}

type Mutation = [op: 'drop' | 'set' | 'add', pick: number, value: unknown]

/** `value` with each mutation applied to one of its objects (picked by index): a key dropped, set or added. */
export function mutate(value: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(value)
  for (const [op, pick, replacement] of mutations) {
    const objects: Json[] = []
    collectObjects(copy, objects)
    const target = objects[pick % Math.max(1, objects.length)]
    // A copy: fast-check's constants are shared, and a later mutation may write into what this one inserts
    const inserted = structuredClone(replacement)
    if (target === undefined) return inserted
    const keys = Object.keys(target)
    const key = keys[pick % Math.max(1, keys.length)]
    if (op === 'add' || key === undefined) target[`fuzz${pick % 7}`] = inserted
    else if (op === 'drop') delete target[key]
    else target[key] = inserted
  }
  return copy
}

function collectObjects(value: unknown, into: Json[]): void {
  if (Array.isArray(value)) for (const item of value) collectObjects(item, into)
  else if (value !== null && typeof value === 'object') {
    into.push(value as Json)
    for (const item of Object.values(value)) collectObjects(item, into)
  }
}

function multipartBody(): fc.Arbitrary<Body> {
  const filename = fc.oneof(
    fc.constantFrom('minutes.txt', 'a', '', '../../etc/passwd', 'é.pdf', 'x'.repeat(300), 'a"b'),
    headerText,
  )
  const contentType = fc.oneof(
    fc.constantFrom('text/plain', 'application/pdf', 'image/png', 'application/octet-stream', '', 'x'),
    headerText,
  )
  const data = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constant(''),
    fc.integer({ min: 1000, max: 200_000 }).map((n) => 'd'.repeat(n)),
  )
  const file = fc.record(
    { name: fc.constant('file'), filename, contentType, data },
    { requiredKeys: ['name', 'data'] },
  )
  const other = fc.record({
    name: fc.oneof(fc.constantFrom('note', 'upload', 'file'), headerText),
    data: fc.string({ maxLength: 40 }),
  })
  const parts = fc.oneof(
    { weight: 5, arbitrary: file.map((part) => [part]) },
    { weight: 2, arbitrary: fc.array(fc.oneof(file, other), { maxLength: 4 }) },
  )
  return fc
    .record({
      multipart: parts,
      boundary: fc.constantFrom('----fuzzBoundary7MA4YWxk', 'x', 'a'.repeat(70)),
      declaredBoundary: fc.option(fc.constantFrom('other', '', '"quoted"'), { freq: 8 }),
    })
    .map((body): Body => body)
}

/** Known good bodies, so that valid requests get past the domain checks a schema cannot state. */
const EXAMPLES: Record<string, unknown> = {
  createEvent: { title: 'Board sync', durationMinutes: 30 },
  previewEvent: { title: 'Board sync', durationMinutes: 30 },
  updateEvent: { title: 'Renamed' },
  createWebhook: { url: 'https://hooks.example.com/scheduler', events: ['event.failed'] },
  createFeedToken: { label: 'phone' },
  replaceAttendeeBusyTimes: { busy: [] },
}

/** Query parameters whose valid values only the API can make, and the pools of those it handed out. */
const QUERY_POOLS: Record<string, PoolName> = {
  cursor: 'cursor',
  syncToken: 'syncToken',
  token: 'feedSecret',
}

/** The arbitrary of plans for `operation`. */
export function planArbitrary(operation: Operation, tokens: Tokens): fc.Arbitrary<Plan> {
  const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path')
  const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query')
  const names = new Set(
    operation.parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()),
  )
  const bodyMethod = operation.method !== 'GET' && operation.method !== 'HEAD'
  const documentedBody = operation.requestBody?.content ?? {}
  const jsonSchema = documentedBody['application/json']
  const body: fc.Arbitrary<Body | null> =
    jsonSchema !== undefined
      ? fc.oneof(
          { weight: 12, arbitrary: jsonBody(jsonSchema, EXAMPLES[operation.operationId]) },
          { weight: 1, arbitrary: fc.constant(null) },
        )
      : 'multipart/form-data' in documentedBody
        ? fc.oneof(
            { weight: 8, arbitrary: multipartBody() },
            { weight: 1, arbitrary: jsonBody({}, {}) },
            { weight: 1, arbitrary: fc.constant(null) },
          )
        : bodyMethod
          ? fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: jsonBody({}, {}) })
          : fc.constant(null)
  const oversized = fc
    .integer({ min: 1_048_577, max: 1_200_000 })
    .map((bytes): Body => ({ oversized: bytes }))
  return fc
    .record({
      path: fc.record(
        Object.fromEntries(
          pathParameters.map((parameter) => [parameter.name, pathValue(operation, parameter)]),
        ),
      ),
      pooledQuery: fc
        .tuple(
          ...queryParameters
            .filter((parameter) => parameter.name in QUERY_POOLS)
            .map((parameter) =>
              fc.option(
                fc
                  .nat({ max: 1000 })
                  .map((index): [string, PoolName, number] => [
                    parameter.name,
                    QUERY_POOLS[parameter.name] as PoolName,
                    index,
                  ]),
                { freq: 5 },
              ),
            ),
        )
        .map((entries) => entries.filter((entry) => entry !== null)),
      query: fc
        .tuple(
          ...queryParameters.map(queryPairs),
          fc.oneof(
            { weight: 6, arbitrary: fc.constant<[string, string][]>([]) },
            {
              weight: 1,
              arbitrary: fc.array(
                fc.tuple(fc.oneof(fc.constantFrom('unknown', 'limit', 'from'), headerText), oddText),
                { minLength: 1, maxLength: 2 },
              ),
            },
          ),
        )
        .map((groups) => groups.flat()),
      rawQuery: fc.oneof(
        { weight: 8, arbitrary: fc.constant<string[]>([]) },
        { weight: 1, arbitrary: fc.array(fc.constantFrom(...RAW_QUERY), { minLength: 1, maxLength: 2 }) },
      ),
      padding: fc.oneof(
        { weight: 60, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 7000, max: 12_000 }) },
      ),
      authorization: authorization(operation, tokens),
      contentType: contentTypes(operation),
      idempotencyKey: fc.oneof(
        { weight: names.has('idempotency-key') ? 4 : 12, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.uuid() },
        { weight: 2, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3') },
        {
          weight: 1,
          arbitrary: fc.oneof(fc.constantFrom('', 'a'.repeat(255), 'a'.repeat(256), ' ', 'é'), headerText),
        },
      ),
      ifMatch: fc.oneof(
        { weight: names.has('if-match') ? 3 : 12, arbitrary: fc.constant(null) },
        { weight: 3, arbitrary: fc.constant('current') },
        {
          weight: 2,
          arbitrary: fc.oneof(
            fc.constantFrom('*', '"x"', 'W/"x"', 'x', '"', '', '"1", "2"', 'W/', '"\u00e9"'),
            headerText,
          ),
        },
      ),
      extraHeaders: fc.array(
        fc.tuple(
          fc.constantFrom(
            'x-request-id',
            'accept',
            'accept-encoding',
            'origin',
            'cookie',
            'content-encoding',
            'x-forwarded-for',
            'transfer-encoding-x',
          ),
          headerText,
        ),
        { maxLength: 2 },
      ),
      body: fc.oneof({ weight: 60, arbitrary: body }, { weight: bodyMethod ? 1 : 0, arbitrary: oversized }),
    })
    .map(({ authorization: auth, contentType, idempotencyKey, extraHeaders, ...rest }) => {
      const headers: Record<string, string> = {}
      for (const [name, value] of extraHeaders) headers[name] = value
      if (auth !== null) headers.authorization = auth
      if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey
      if (contentType !== null && rest.body !== null && !('multipart' in rest.body))
        headers['content-type'] = contentType
      if (contentType !== null && rest.body === null && bodyMethod) headers['content-type'] = contentType
      return { operationId: operation.operationId, ...rest, headers }
    })
}

/**
 * `text` percent-encoded for a URL: UTF-8 for well-formed text, and an unpaired surrogate as the three bytes
 * it would take in CESU-8 (not UTF-8: the server must refuse it as malformed).
 */
export function encodeText(text: string): string {
  let out = ''
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += encodeURIComponent(text.slice(index, index + 2))
        index++
        continue
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out += `%${(0xe0 | (code >> 12)).toString(16).toUpperCase()}%${(0x80 | ((code >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (code & 0x3f)).toString(16).toUpperCase()}`
    } else out += encodeURIComponent(text[index] ?? '')
  }
  return out
}
