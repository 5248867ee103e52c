import t from 'tap'
import { ADMIN_SESSION_COOKIE } from '../../../src/plugins/app/admin-session.js'
import { bearer, build } from '../../helper.js'

/** The `Set-Cookie` header of the session cookie, parsed into its attributes. */
function sessionCookie(setCookie: string | string[] | undefined) {
  const header = [setCookie ?? []].flat().find((line) => line.startsWith(`${ADMIN_SESSION_COOKIE}=`))
  if (!header) return null
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim())
  const flags = new Map(
    attributes.map((attribute) => {
      const [name = '', value = ''] = attribute.split('=')
      return [name.toLowerCase(), value] as const
    }),
  )
  return { value: pair.slice(ADMIN_SESSION_COOKIE.length + 1), flags }
}

t.test('the admin session and the queue dashboard', async (t) => {
  const app = await build(t)
  const admin = bearer({ scopes: ['calendar:admin'], expiresIn: 600 })

  async function signIn(): Promise<string> {
    const answer = await app.inject({ method: 'POST', url: '/admin/session', headers: admin })
    const cookie = sessionCookie(answer.headers['set-cookie'])
    if (answer.statusCode !== 204 || !cookie) throw new Error(`sign-in answered ${answer.statusCode}`)
    return `${ADMIN_SESSION_COOKIE}=${cookie.value}`
  }

  t.test('without a session the dashboard is 401, its API and actions too', async (t) => {
    for (const url of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues']) {
      const answer = await app.inject({ method: 'GET', url })
      t.equal(answer.statusCode, 401, url)
      t.match(answer.headers['content-type'], /application\/problem\+json/)
    }
    const retry = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/placement/retry/failed' })
    t.equal(retry.statusCode, 401, 'actions are guarded')
    const bearerOnly = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: admin })
    t.equal(bearerOnly.statusCode, 401, 'a bearer token is not a session')
    const forged = await app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: {
        cookie: `${ADMIN_SESSION_COOKIE}=${Buffer.from(JSON.stringify({ sub: 'x', expiresAt: Date.now() + 60_000 })).toString('base64url')}.forged`,
      },
    })
    t.equal(forged.statusCode, 401, 'an unsigned or forged cookie')
  })

  t.test('signing in needs a valid calendar:admin token', async (t) => {
    const none = await app.inject({ method: 'POST', url: '/admin/session' })
    t.equal(none.statusCode, 401)
    t.match(none.headers['content-type'], /application\/problem\+json/)
    const invalid = await app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: bearer({ key: 'another-secret-that-is-at-least-32-characters' }),
    })
    t.equal(invalid.statusCode, 401)
    const reader = await app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: bearer({ scopes: ['events:read', 'events:write', 'webhooks:manage'] }),
    })
    t.equal(reader.statusCode, 403)
    t.match(reader.headers['content-type'], /application\/problem\+json/)
    t.notOk(sessionCookie(reader.headers['set-cookie']), 'no cookie')
  })

  t.test('the session cookie: HttpOnly, SameSite=Strict, /admin, expiring with the token', async (t) => {
    const before = Date.now()
    const answer = await app.inject({ method: 'POST', url: '/admin/session', headers: admin })
    t.equal(answer.statusCode, 204)
    const cookie = sessionCookie(answer.headers['set-cookie'])
    if (!cookie) throw new Error('no session cookie')
    t.ok(cookie.flags.has('httponly'))
    t.equal(cookie.flags.get('samesite'), 'Strict')
    t.equal(cookie.flags.get('path'), '/admin')
    t.notOk(cookie.flags.has('secure'), 'not Secure for a client on loopback')
    const maxAge = Number(cookie.flags.get('max-age'))
    t.ok(maxAge > 590 && maxAge <= 600, `Max-Age ${maxAge} ends with the token's exp`)
    const expires = Date.parse(cookie.flags.get('expires') ?? '')
    t.ok(expires <= before + 601_000, 'Expires no later than the token')

    const remote = await app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: admin,
      remoteAddress: '203.0.113.7',
    })
    t.equal(remote.statusCode, 204)
    t.ok(sessionCookie(remote.headers['set-cookie'])?.flags.has('secure'), 'Secure off loopback')
    const spoofed = await app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: { ...admin, 'x-forwarded-for': '127.0.0.1', host: 'localhost' },
      remoteAddress: '203.0.113.7',
    })
    t.ok(sessionCookie(spoofed.headers['set-cookie'])?.flags.has('secure'), 'headers do not make loopback')
  })

  t.test('with a session the queues are listed', async (t) => {
    const cookie = await signIn()
    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: { cookie } })
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /text\/html/)
    t.match(page.body, /<html/i)
    const asset = /(?:src|href)="([^"]*static\/[^"]+\.js)"/.exec(page.body)?.[1]
    t.ok(asset, 'the page loads its script from the package')
    const assetUrl = new URL(asset ?? '', 'http://localhost/admin/queues/').pathname
    const script = await app.inject({ method: 'GET', url: assetUrl, headers: { cookie } })
    t.equal(script.statusCode, 200, `${assetUrl} is served`)
    const anonymousAsset = await app.inject({ method: 'GET', url: assetUrl })
    t.equal(anonymousAsset.statusCode, 401, 'assets need the session too')
    const queues = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } })
    t.equal(queues.statusCode, 200)
    const names = (queues.json().queues as { name: string }[]).map((queue) => queue.name).sort()
    t.strictSame(names, ['placement', 'webhook-delivery'])
  })

  t.test('cross-site state changes are refused; same-origin ones pass', async (t) => {
    const cookie = await signIn()
    const url = '/admin/queues/api/queues/placement/retry/failed'
    const crossSite = await app.inject({
      method: 'PUT',
      url,
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    })
    t.equal(crossSite.statusCode, 403)
    t.match(crossSite.headers['content-type'], /application\/problem\+json/)
    const foreignOrigin = await app.inject({
      method: 'PUT',
      url,
      headers: { cookie, origin: 'https://evil.example' },
    })
    t.equal(foreignOrigin.statusCode, 403, 'by Origin alone (browsers without Sec-Fetch-Site)')
    const sameSite = await app.inject({
      method: 'PUT',
      url,
      headers: { cookie, origin: 'http://localhost', 'sec-fetch-site': 'same-site' },
    })
    t.equal(sameSite.statusCode, 403, 'a sibling subdomain is another origin')
    const crossSiteSignIn = await app.inject({
      method: 'POST',
      url: '/admin/session',
      headers: { ...admin, 'sec-fetch-site': 'cross-site' },
    })
    t.equal(crossSiteSignIn.statusCode, 403)
    const sameOrigin = await app.inject({
      method: 'PUT',
      url,
      headers: { cookie, origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' },
    })
    t.equal(sameOrigin.statusCode, 200, 'the dashboard’s own request')
  })

  t.test('signing out expires the cookie', async (t) => {
    const cookie = await signIn()
    const out = await app.inject({ method: 'DELETE', url: '/admin/session', headers: { cookie } })
    t.equal(out.statusCode, 204)
    const cleared = sessionCookie(out.headers['set-cookie'])
    t.equal(cleared?.value, '')
    t.ok(Date.parse(cleared?.flags.get('expires') ?? '') <= Date.now(), 'expired')
    t.equal(cleared?.flags.get('path'), '/admin')
    const after = await app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: { cookie: `${ADMIN_SESSION_COOKIE}=` },
    })
    t.equal(after.statusCode, 401, 'the browser sends the cleared cookie: no session')
  })

  t.test('the session ends when the token expires', async (t) => {
    const shortLived = bearer({ scopes: ['calendar:admin'], expiresIn: 1 })
    const answer = await app.inject({ method: 'POST', url: '/admin/session', headers: shortLived })
    t.equal(answer.statusCode, 204)
    const cookie = sessionCookie(answer.headers['set-cookie'])
    t.ok(Number(cookie?.flags.get('max-age')) <= 1)
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    const later = await app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: { cookie: `${ADMIN_SESSION_COOKIE}=${cookie?.value}` },
    })
    t.equal(later.statusCode, 401, 'the signed expiry is checked, not only the browser’s')
  })

  t.test('the OpenAPI document has the feed and the session, not the dashboard', async (t) => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const paths = Object.keys(document.paths)
    for (const path of [
      '/v1/calendar/feed-tokens',
      '/v1/calendar/feed-tokens/{id}',
      '/v1/calendar.ics',
      '/admin/session',
    ]) {
      t.ok(paths.includes(path), path)
    }
    t.strictSame(
      paths.filter((path) => path.startsWith('/admin/queues')),
      [],
      'bull-board is hidden',
    )
    t.strictSame(document.paths['/v1/calendar.ics'].get.security, [])
    t.ok(document.paths['/v1/calendar.ics'].get.responses['200'].content['text/calendar'])
  })
})

t.test('SESSION_SECRET must be at least 32 characters', async (t) => {
  await t.rejects(build(t, { SESSION_SECRET: 'too-short' }))
  const app = await build(t, { SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' })
  const answer = await app.inject({
    method: 'POST',
    url: '/admin/session',
    headers: bearer({ scopes: ['calendar:admin'] }),
  })
  t.equal(answer.statusCode, 204)
})
