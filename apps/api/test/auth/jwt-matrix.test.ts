/**
 * The JWT matrix (issue 14) and the required claims (issue 7 item 8), against a protected route
 * (`GET /v1/events`, scope events:read) through `app.inject`. Tokens are signed here with node:crypto, so a
 * row can carry any header and any claim (of any type), as an attacker's token could.
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { CLOCK_TOLERANCE_MS } from '../../src/auth/token-time.js'
import { type App, AUDIENCE, build, ISSUER, TEST_SECRET } from '../helper.js'

type Alg = 'HS256' | 'RS256' | 'ES256' | 'none'
type Claims = Record<string, unknown>

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** A compact JWS over exactly `header` and `claims`; `key` is the HMAC secret or the private key. */
function jws(alg: Alg, key: string | KeyObject | null, claims: Claims, header: Claims = {}): string {
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', ...header }))}.${b64url(JSON.stringify(claims))}`
  if (alg === 'none') return `${input}.`
  let signature: Buffer
  if (alg === 'HS256')
    signature = createHmac('sha256', key as string | KeyObject)
      .update(input)
      .digest()
  else if (alg === 'RS256') signature = sign('sha256', Buffer.from(input), key as KeyObject)
  else signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' })
  return `${input}.${b64url(signature)}`
}

const nowSeconds = () => Math.floor(Date.now() / 1000)
const HOUR = 3600
const TEN_YEARS = 10 * 365 * 24 * HOUR

/** The claims of a valid token for `build`'s app, at the time of the call; `null` drops a claim. */
function claims(overrides: Record<string, unknown> = {}): Claims {
  const now = nowSeconds()
  const base: Claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'auto-event-manager',
    iat: now,
    exp: now + 600,
    scope: 'events:read',
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete base[name]
    else base[name] = value
  }
  return base
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()

interface Signer {
  name: string
  alg: Exclude<Alg, 'none'>
  key: string | KeyObject
  env: Record<string, string | undefined>
}
const SIGNERS: Signer[] = [
  { name: 'HS256 (JWT_SECRET)', alg: 'HS256', key: TEST_SECRET, env: {} },
  {
    name: 'RS256 (JWT_PUBLIC_KEY)',
    alg: 'RS256',
    key: rsa.privateKey,
    env: { JWT_PUBLIC_KEY: pem(rsa.publicKey), JWT_SECRET: undefined },
  },
  {
    name: 'ES256 (JWT_PUBLIC_KEY)',
    alg: 'ES256',
    key: ec.privateKey,
    env: { JWT_PUBLIC_KEY: pem(ec.publicKey), JWT_SECRET: undefined },
  },
]

interface Answer {
  statusCode: number
  headers: Record<string, unknown>
  json: () => unknown
}

function expectStatus(t: Test, response: Answer, status: 200 | 401 | 403) {
  t.equal(response.statusCode, status, `answers ${status}`)
  if (status === 200) return
  t.match(String(response.headers['content-type']), /^application\/problem\+json/, 'problem+json')
  t.match(String(response.headers['www-authenticate']), /^Bearer realm="scheduler-api"/, 'WWW-Authenticate')
  t.match(response.json(), { status })
  if (status === 403) t.match(String(response.headers['www-authenticate']), /error="insufficient_scope"/)
}

const getEvents = (app: App, token: string) =>
  app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${token}` } })

/**
 * Issue 7 item 8: `iss`, `aud` and `exp` are required, `nbf`/`iat` beyond the tolerance in the future are
 * refused, the tolerance itself works — the same rows for each kind of key.
 */
interface ClaimRow {
  name: string
  claims: () => Claims
  status: 200 | 401
  detail?: RegExp
}
const tolerance = CLOCK_TOLERANCE_MS / 1000
const CLAIM_ROWS: ClaimRow[] = [
  { name: 'a valid token', claims: () => claims(), status: 200 },
  { name: 'no iss', claims: () => claims({ iss: null }), status: 401, detail: /required claim/ },
  { name: 'no aud', claims: () => claims({ aud: null }), status: 401, detail: /required claim/ },
  {
    name: 'neither iss nor aud',
    claims: () => claims({ iss: null, aud: null }),
    status: 401,
    detail: /required claim/,
  },
  { name: 'no exp', claims: () => claims({ exp: null }), status: 401, detail: /required claim/ },
  { name: 'iss: null', claims: () => claims({ iss: JSON.parse('null') }), status: 401 },
  { name: 'iss: ""', claims: () => claims({ iss: '' }), status: 401 },
  { name: 'aud: []', claims: () => claims({ aud: [] }), status: 401 },
  { name: 'exp as a string', claims: () => claims({ exp: String(nowSeconds() + 600) }), status: 401 },
  {
    name: 'iat 1 hour in the future',
    claims: () => claims({ iat: nowSeconds() + HOUR }),
    status: 401,
    detail: /issued in the future/,
  },
  {
    name: 'iat 10 years in the future',
    claims: () => claims({ iat: nowSeconds() + TEN_YEARS, exp: nowSeconds() + TEN_YEARS + 600 }),
    status: 401,
    detail: /issued in the future/,
  },
  {
    name: `iat 30 s in the future (beyond the ${tolerance} s tolerance)`,
    claims: () => claims({ iat: nowSeconds() + 30 }),
    status: 401,
  },
  { name: 'iat as a string', claims: () => claims({ iat: 'now' }), status: 401, detail: /iat/ },
  {
    name: 'nbf 1 hour in the future',
    claims: () => claims({ nbf: nowSeconds() + HOUR }),
    status: 401,
    detail: /not valid yet/,
  },
  {
    name: `nbf 30 s in the future (beyond the ${tolerance} s tolerance)`,
    claims: () => claims({ nbf: nowSeconds() + 30 }),
    status: 401,
  },
  {
    name: `exp 30 s ago (beyond the ${tolerance} s tolerance)`,
    claims: () => claims({ iat: nowSeconds() - 600, exp: nowSeconds() - 30 }),
    status: 401,
    detail: /expired/,
  },
  // Within the tolerance: a clock a second or two off is no reason to refuse.
  { name: 'iat 2 s in the future', claims: () => claims({ iat: nowSeconds() + 2 }), status: 200 },
  { name: 'nbf 2 s in the future', claims: () => claims({ nbf: nowSeconds() + 2 }), status: 200 },
  {
    name: 'exp 1 s ago',
    claims: () => claims({ iat: nowSeconds() - 600, exp: nowSeconds() - 1 }),
    status: 200,
  },
  {
    name: 'nbf and iat now, without sub',
    claims: () => claims({ nbf: nowSeconds(), sub: null }),
    status: 200,
  },
]

for (const signer of SIGNERS) {
  t.test(`required claims and token times, ${signer.name}`, async (t) => {
    const app = await build(t, signer.env)
    for (const row of CLAIM_ROWS) {
      t.test(row.name, async (t) => {
        const response = await getEvents(app, jws(signer.alg, signer.key, row.claims()))
        expectStatus(t, response, row.status)
        if (row.detail) t.match(response.json(), { detail: row.detail })
      })
    }
  })
}

/** A TCP listener on 127.0.0.1 that counts connections: a `jku`/`x5u`/`kid` URL must never be fetched. */
async function listener(t: Test) {
  let connections = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.destroy()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}`, connections: () => connections }
}

type AppName = 'hs' | 'rs' | 'es'

interface MatrixRow {
  name: string
  app: AppName
  /** The request's URL and headers. */
  request: (ctx: { listenerUrl: string }) => { url?: string; headers: Record<string, string> }
  status: 200 | 401 | 403
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
const hs = (c: Claims = claims(), header: Claims = {}) => jws('HS256', TEST_SECRET, c, header)
const attackerJwk = { ...attackerRsa.publicKey.export({ format: 'jwk' }), kid: 'attacker' }
const HUNDRED_KB = 100 * 1024

/** Issue 14's JWT matrix: every row is refused (401), a valid token lacking the scope is a 403. */
const MATRIX: MatrixRow[] = [
  { name: 'control: a valid HS256 token', app: 'hs', request: () => bearer(hs()), status: 200 },
  {
    name: 'alg: none, no signature',
    app: 'hs',
    request: () => bearer(jws('none', null, claims())),
    status: 401,
  },
  {
    name: 'alg: none with the real signature appended',
    app: 'hs',
    request: () => {
      const [, payload, signature] = hs().split('.')
      return bearer(`${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.${signature}`)
    },
    status: 401,
  },
  { name: 'alg: "None"', app: 'hs', request: () => bearer(hs(claims(), { alg: 'None' })), status: 401 },
  {
    name: 'the wrong HMAC secret',
    app: 'hs',
    request: () => bearer(jws('HS256', 'another-secret-that-is-at-least-32-characters', claims())),
    status: 401,
  },
  {
    name: 'RS256 token at the HS256 service (algorithm confusion)',
    app: 'hs',
    request: () => bearer(jws('RS256', rsa.privateKey, claims())),
    status: 401,
  },
  {
    name: 'ES256 token at the HS256 service (algorithm confusion)',
    app: 'hs',
    request: () => bearer(jws('ES256', ec.privateKey, claims())),
    status: 401,
  },
  {
    name: 'HS256 token keyed with the RSA public key PEM at the RS256 service',
    app: 'rs',
    request: () => bearer(jws('HS256', pem(rsa.publicKey), claims())),
    status: 401,
  },
  {
    name: 'HS256 token keyed with the EC public key PEM at the ES256 service',
    app: 'es',
    request: () => bearer(jws('HS256', pem(ec.publicKey), claims())),
    status: 401,
  },
  {
    name: 'HS256 token keyed with the old HS secret at the RS256 service',
    app: 'rs',
    request: () => bearer(hs()),
    status: 401,
  },
  {
    name: 'expired',
    app: 'hs',
    request: () => bearer(hs(claims({ iat: nowSeconds() - 3600, exp: nowSeconds() - 60 }))),
    status: 401,
  },
  {
    name: 'nbf in the future',
    app: 'hs',
    request: () => bearer(hs(claims({ nbf: nowSeconds() + 3600 }))),
    status: 401,
  },
  {
    name: 'iat far in the future',
    app: 'hs',
    request: () => bearer(hs(claims({ iat: nowSeconds() + TEN_YEARS }))),
    status: 401,
  },
  { name: 'no exp', app: 'hs', request: () => bearer(hs(claims({ exp: null }))), status: 401 },
  { name: 'no iss', app: 'hs', request: () => bearer(hs(claims({ iss: null }))), status: 401 },
  { name: 'no aud', app: 'hs', request: () => bearer(hs(claims({ aud: null }))), status: 401 },
  { name: 'wrong iss', app: 'hs', request: () => bearer(hs(claims({ iss: 'someone-else' }))), status: 401 },
  {
    name: 'iss differing only in case',
    app: 'hs',
    request: () => bearer(hs(claims({ iss: ISSUER.toUpperCase() }))),
    status: 401,
  },
  { name: 'wrong aud', app: 'hs', request: () => bearer(hs(claims({ aud: 'another-api' }))), status: 401 },
  {
    name: 'aud array without ours',
    app: 'hs',
    request: () => bearer(hs(claims({ aud: ['another-api', `${AUDIENCE}-staging`] }))),
    status: 401,
  },
  {
    name: 'control: aud array with ours',
    app: 'hs',
    request: () => bearer(hs(claims({ aud: ['another-api', AUDIENCE] }))),
    status: 200,
  },
  {
    name: 'missing scope (events:write only)',
    app: 'hs',
    request: () => bearer(hs(claims({ scope: 'events:write webhooks:manage' }))),
    status: 403,
  },
  { name: 'no scope claim', app: 'hs', request: () => bearer(hs(claims({ scope: null }))), status: 403 },
  {
    name: 'look-alike scope events:readx',
    app: 'hs',
    request: () => bearer(hs(claims({ scope: 'events:readx' }))),
    status: 403,
  },
  {
    name: 'look-alike scope Events:Read',
    app: 'hs',
    request: () => bearer(hs(claims({ scope: 'Events:Read' }))),
    status: 403,
  },
  {
    name: 'look-alike scope events:*',
    app: 'hs',
    request: () => bearer(hs(claims({ scope: 'events:*' }))),
    status: 403,
  },
  {
    name: 'look-alike scope list "events:write,events:read" (comma, not space)',
    app: 'hs',
    request: () => bearer(hs(claims({ scope: 'events:write,events:read' }))),
    status: 403,
  },
  {
    name: 'kid pointing at a listener on 127.0.0.1 (attacker HMAC secret)',
    app: 'hs',
    request: ({ listenerUrl }) =>
      bearer(
        jws('HS256', 'attacker-secret-that-is-at-least-32-characters', claims(), {
          kid: `${listenerUrl}/key`,
        }),
      ),
    status: 401,
  },
  {
    name: 'jku pointing at a listener on 127.0.0.1 (attacker RSA key)',
    app: 'rs',
    request: ({ listenerUrl }) =>
      bearer(
        jws('RS256', attackerRsa.privateKey, claims(), { jku: `${listenerUrl}/jwks.json`, kid: 'attacker' }),
      ),
    status: 401,
  },
  {
    name: 'x5u pointing at a listener on 127.0.0.1 (attacker RSA key)',
    app: 'rs',
    request: ({ listenerUrl }) =>
      bearer(jws('RS256', attackerRsa.privateKey, claims(), { x5u: `${listenerUrl}/cert.pem` })),
    status: 401,
  },
  {
    name: 'jwk header embedding the attacker public key',
    app: 'rs',
    request: () => bearer(jws('RS256', attackerRsa.privateKey, claims(), { jwk: attackerJwk })),
    status: 401,
  },
  {
    name: 'a 100 KB token',
    app: 'hs',
    request: () => bearer(hs(claims({ pad: 'x'.repeat(HUNDRED_KB) }))),
    status: 401,
  },
  {
    name: 'the token in the query string (access_token)',
    app: 'hs',
    request: () => ({ url: `/v1/events?access_token=${hs()}`, headers: {} }),
    status: 401,
  },
  {
    name: 'the token in a cookie',
    app: 'hs',
    request: () => ({ headers: { cookie: `token=${hs()}; access_token=${hs()}; authorization=${hs()}` } }),
    status: 401,
  },
  // RFC 9110 §11.1: the auth scheme is case-insensitive, so `bearer` and `BEARER` are accepted.
  {
    name: 'lowercase scheme "bearer" (accepted)',
    app: 'hs',
    request: () => ({ headers: { authorization: `bearer ${hs()}` } }),
    status: 200,
  },
  {
    name: 'uppercase scheme "BEARER" (accepted)',
    app: 'hs',
    request: () => ({ headers: { authorization: `BEARER ${hs()}` } }),
    status: 200,
  },
  {
    name: 'two spaces after the scheme',
    app: 'hs',
    request: () => ({ headers: { authorization: `Bearer  ${hs()}` } }),
    status: 401,
  },
  {
    name: 'a tab after the scheme',
    app: 'hs',
    request: () => ({ headers: { authorization: `Bearer\t${hs()}` } }),
    status: 401,
  },
  {
    name: 'trailing junk after the token',
    app: 'hs',
    request: () => ({ headers: { authorization: `Bearer ${hs()} junk` } }),
    status: 401,
  },
  {
    name: 'a second credential after a comma',
    app: 'hs',
    request: () => ({ headers: { authorization: `Bearer ${hs()}, Basic YTpi` } }),
    status: 401,
  },
  {
    name: 'no scheme, the bare token',
    app: 'hs',
    request: () => ({ headers: { authorization: hs() } }),
    status: 401,
  },
  {
    name: 'a fourth segment',
    app: 'hs',
    request: () => ({ headers: { authorization: `Bearer ${hs()}.x` } }),
    status: 401,
  },
]

t.test('the JWT matrix', async (t) => {
  const apps: Record<AppName, App> = {
    hs: await build(t),
    rs: await build(t, SIGNERS[1]!.env),
    es: await build(t, SIGNERS[2]!.env),
  }
  const keyServer = await listener(t)
  for (const row of MATRIX) {
    t.test(row.name, async (t) => {
      const { url = '/v1/events', headers } = row.request({ listenerUrl: keyServer.url })
      expectStatus(t, await apps[row.app].inject({ method: 'GET', url, headers }), row.status)
    })
  }
  t.test('nothing connected to the listener named by kid, jku and x5u', async (t) => {
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.equal(keyServer.connections(), 0)
  })
})
