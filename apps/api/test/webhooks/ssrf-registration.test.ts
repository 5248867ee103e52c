/**
 * The SSRF matrix at registration (issue 14), through the route: every URL of the shared matrix that the
 * guard refuses is a 400 problem naming `/body/url` and stores nothing; every accepted one is a 201.
 */
import type { WebhookResource } from '@scheduler/contract'
import { accepted, refused } from '@scheduler/test-helpers/ssrf-cases'
import t from 'tap'
import { bearer, build } from '../helper.js'

const manage = () => bearer({ scopes: ['webhooks:manage'] })

t.test('SSRF matrix at registration, loopback allowance off', async (t) => {
  const app = await build(t, { WEBHOOK_ALLOW_LOOPBACK: 'false' })
  const register = (url: string) =>
    app.inject({ method: 'POST', url: '/v1/webhooks', headers: manage(), payload: { url } })

  t.test(`${refused.length} refused URLs answer 400`, async (t) => {
    for (const [url] of refused) {
      const response = await register(url)
      t.equal(response.statusCode, 400, JSON.stringify(url))
      t.match(String(response.headers['content-type']), /^application\/problem\+json/)
      t.match(response.json(), { status: 400, errors: [{ path: '/body/url' }] }, JSON.stringify(url))
    }
    const list = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: manage() })
    t.same(list.json<{ items: WebhookResource[] }>().items, [], 'nothing was stored')
  })

  // The route's schema also requires an RFC 3986 URI (`format: uri`): an IRI (non-ASCII) or a backslash
  // the guard would accept is refused there, on the safe side.
  const rfc3986 = (url: string) => /^[\x21-\x7e]+$/.test(url) && !url.includes('\\')
  t.test(`${accepted.length} URLs the guard accepts answer 201 (400 when not an RFC 3986 URI)`, async (t) => {
    for (const url of accepted) {
      const response = await register(url)
      if (rfc3986(url))
        t.equal(response.statusCode, 201, `${url}: ${response.statusCode === 201 ? '' : response.body}`)
      else t.match(response.json(), { status: 400, errors: [{ path: '/body/url', message: /uri/ }] }, url)
    }
  })
})
