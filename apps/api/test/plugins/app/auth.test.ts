import { generateKeyPairSync } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import t, { type Test } from 'tap'
import { AUDIENCE, bearer, build, ISSUER, TEST_SECRET, token } from '../../helper.js'

function expectUnauthorized(
  t: Test,
  response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown },
) {
  t.equal(response.statusCode, 401)
  t.match(String(response.headers['www-authenticate']), /^Bearer/)
  t.match(String(response.headers['content-type']), /^application\/problem\+json/)
  t.match(response.json(), { status: 401, title: 'Unauthenticated', type: /unauthenticated/ })
}

t.test('HS256 tokens', async (t) => {
  const app = await build(t)
  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/v1/events', headers })

  t.test('a valid token with the scope passes', async (t) => {
    t.equal((await get(bearer({ scopes: ['events:read'] }))).statusCode, 200)
  })

  t.test('no token', async (t) => {
    const response = await get({})
    expectUnauthorized(t, response)
    t.equal(response.headers['www-authenticate'], 'Bearer realm="scheduler-api"')
  })

  t.test('not a bearer token', async (t) => {
    expectUnauthorized(t, await get({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }))
    expectUnauthorized(t, await get({ authorization: 'Bearer not-a-jwt' }))
  })

  t.test('alg none', async (t) => {
    const response = await get(bearer({ algorithm: 'none' }))
    expectUnauthorized(t, response)
    t.match(String(response.headers['www-authenticate']), /error="invalid_token"/)
  })

  t.test('an algorithm outside the allow-list (HS512 with the right secret)', async (t) => {
    expectUnauthorized(t, await get(bearer({ algorithm: 'HS512' })))
  })

  t.test('a bad signature', async (t) => {
    expectUnauthorized(t, await get(bearer({ key: 'another-secret-that-is-at-least-32-characters' })))
    const [header, payload] = token().split('.')
    expectUnauthorized(t, await get({ authorization: `Bearer ${header}.${payload}.c2lnbmF0dXJl` }))
  })

  t.test('the wrong issuer', async (t) => {
    expectUnauthorized(t, await get(bearer({ iss: 'someone-else' })))
  })

  t.test('the wrong audience', async (t) => {
    expectUnauthorized(t, await get(bearer({ aud: 'another-api' })))
  })

  t.test('an audience list containing ours passes', async (t) => {
    const sign = createSigner({ key: TEST_SECRET, iss: ISSUER, aud: ['other', AUDIENCE], expiresIn: 60_000 })
    const response = await get({ authorization: `Bearer ${sign({ scope: 'events:read' })}` })
    t.equal(response.statusCode, 200)
  })

  t.test('no exp claim', async (t) => {
    expectUnauthorized(t, await get(bearer({ expiresIn: null })))
  })

  t.test('expired', async (t) => {
    const response = await get(bearer({ expiresIn: -60 }))
    expectUnauthorized(t, response)
    t.match(response.json(), { detail: /expired/ })
  })

  t.test('a valid token without the scope is a 403', async (t) => {
    const response = await get(bearer({ scopes: ['events:write', 'webhooks:manage'] }))
    t.equal(response.statusCode, 403)
    t.match(String(response.headers['content-type']), /^application\/problem\+json/)
    t.match(response.json(), { status: 403, detail: /events:read/ })
  })

  t.test('each route asks for its own scope', async (t) => {
    const readOnly = bearer({ scopes: ['events:read'] })
    const create = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: readOnly,
      payload: { title: 'x', durationMinutes: 30 },
    })
    t.equal(create.statusCode, 403)
    const put = await app.inject({ method: 'PUT', url: '/v1/calendar', headers: readOnly, payload: {} })
    t.equal(put.statusCode, 403)
    t.equal((await app.inject({ method: 'GET', url: '/v1/calendar', headers: readOnly })).statusCode, 200)
  })

  t.test('authentication comes before validation: an invalid body without a token is a 401', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/v1/events', payload: { title: 42 } })
    t.equal(response.statusCode, 401)
  })

  t.test('operational routes need no token', async (t) => {
    for (const url of ['/healthz', '/readyz', '/openapi.json', '/metrics', '/docs']) {
      const response = await app.inject({ method: 'GET', url })
      t.ok(response.statusCode < 400, `${url} answers ${response.statusCode}`)
    }
  })
})

t.test('RS256 tokens verified with JWT_PUBLIC_KEY', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const app = await build(t, { JWT_PUBLIC_KEY: publicPem, JWT_SECRET: undefined })
  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/v1/events', headers })

  t.equal((await get(bearer({ algorithm: 'RS256', key: privatePem }))).statusCode, 200)
  // An HMAC token "signed" with the public key (algorithm confusion) and the old secret are both refused
  expectUnauthorized(t, await get(bearer({ algorithm: 'HS256', key: publicPem })))
  expectUnauthorized(t, await get(bearer({ algorithm: 'HS256' })))
  expectUnauthorized(t, await get(bearer({ algorithm: 'none' })))
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  })
  expectUnauthorized(t, await get(bearer({ algorithm: 'RS256', key: other.toString() })))
})

t.test('ES256 tokens verified with a P-256 JWT_PUBLIC_KEY', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const app = await build(t, {
    JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString().replace(/\n/g, '\\n'),
  })
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const response = await app.inject({
    method: 'GET',
    url: '/v1/events',
    headers: bearer({ algorithm: 'ES256', key: privatePem }),
  })
  t.equal(response.statusCode, 200)
})

t.test(
  'a remembered token: its scopes still decide, and it ends with its exp (plus the tolerance)',
  async (t) => {
    const app = await build(t)
    const headers = bearer({ scopes: ['events:read'], expiresIn: 1 })
    const get = () => app.inject({ method: 'GET', url: '/v1/events', headers })
    t.equal((await get()).statusCode, 200)
    t.equal((await get()).statusCode, 200, 'the second request is answered from the remembered token')
    const write = await app.inject({ method: 'POST', url: '/v1/events', headers, payload: {} })
    t.equal(write.statusCode, 403, 'a remembered token grants no scope it lacks')
    await new Promise((resolve) => setTimeout(resolve, 6_200))
    expectUnauthorized(t, await get())
  },
)
