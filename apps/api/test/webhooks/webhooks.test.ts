import type { DeliveryResource, WebhookCreatedResource, WebhookResource } from '@scheduler/contract'
import { CALENDAR_ID_DEFAULT, newId } from '@scheduler/core'
import type { DeliveryRecord } from '@scheduler/store'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { type App, bearer, build } from '../helper.js'

const manage = () => bearer({ scopes: ['webhooks:manage'] })
const HOOK_URL = 'https://hooks.example.com/scheduler'

function register(app: App, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: { ...manage(), ...headers },
    payload: body,
  })
}

function aDelivery(webhookId: string, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id: newId('dlv'),
    calendarId: CALENDAR_ID_DEFAULT,
    webhookId,
    messageId: newId('msg'),
    type: 'event.failed',
    eventId: newId('evt'),
    attempt: 1,
    status: 'retrying',
    responseStatus: 500,
    error: 'HTTP 500',
    at: Date.now(),
    ...overrides,
  }
}

t.test('webhooks', async (t) => {
  const app = await build(t)

  t.test('POST registers a webhook: 201 with the secret, events default to event.failed', async (t) => {
    const response = await register(app, { url: HOOK_URL, description: 'ops' })
    t.equal(response.statusCode, 201)
    const created = response.json<WebhookCreatedResource>()
    t.match(created, { url: HOOK_URL, events: ['event.failed'], description: 'ops' })
    t.match(created.id, /^whk_/)
    t.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    t.ok(new Date(created.createdAt).getTime() <= Date.now())
    t.equal(response.headers.location, `/v1/webhooks/${created.id}`)
    // The secret is a working Standard Webhooks key.
    const signer = new Webhook(created.secret)
    const at = new Date()
    const signature = signer.sign('msg_1', at, '{}')
    t.same(
      signer.verify('{}', {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      }),
      {},
    )
  })

  t.test('events are kept as given; duplicates, unknown types and an empty list are 400', async (t) => {
    const response = await register(app, { url: HOOK_URL, events: ['event.scheduled', 'event.failed'] })
    t.equal(response.statusCode, 201)
    t.same(response.json().events, ['event.scheduled', 'event.failed'])
    for (const events of [['event.failed', 'event.failed'], ['event.exploded'], [], 'event.failed']) {
      const bad = await register(app, { url: HOOK_URL, events })
      t.equal(bad.statusCode, 400, `events ${JSON.stringify(events)}`)
      t.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8')
    }
    const unknown = await register(app, { url: HOOK_URL, secret: 'whsec_mine' })
    t.equal(unknown.statusCode, 400, 'unknown fields (a client-chosen secret) are refused')
    const missing = await register(app, { events: ['event.failed'] })
    t.equal(missing.statusCode, 400)
  })

  t.test('refused URLs are 400 problems naming the reason', async (t) => {
    const refused = [
      'http://example.com/hook',
      'ftp://example.com/hook',
      'https://user:pass@example.com/',
      'https://good.com@127.0.0.1/',
      'https://127.0.0.1/',
      'https://2130706433/',
      'https://0177.0.0.1/',
      'https://0x7f.1/',
      'https://127.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:7f00:1]/',
      'https://[64:ff9b::a00:1]/',
      'https://[2002:c0a8:101::1]/',
      'https://localhost/',
      'https://app.localhost/',
      'https://10.0.0.1/',
      'https://172.16.5.4/',
      'https://192.168.1.1/',
      'https://100.64.0.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fe80::1]/',
      'https://[fd00:ec2::254]/',
      'https://224.0.0.1/',
      'https://[ff02::1]/',
      'https://0.0.0.0/',
      'https://[::]/',
      'https://255.255.255.255/',
      'https://metadata.google.internal/computeMetadata/v1/',
      'https://metadata/',
      'https://instance-data/',
      'not a url',
    ]
    for (const url of refused) {
      const response = await register(app, { url })
      t.equal(response.statusCode, 400, url)
      const problem = response.json()
      t.match(
        problem,
        { status: 400, type: String, title: String, detail: String },
        `${url}: ${problem.detail}`,
      )
    }
    const loopback = await register(app, { url: 'https://0x7f.1/' })
    t.match(loopback.json(), { detail: /loopback/, errors: [{ path: '/body/url', message: /loopback/ }] })
    const metadata = await register(app, { url: 'https://169.254.169.254/' })
    t.match(metadata.json().detail, /link-local/)
    const list = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: manage() })
    t.notOk(
      list.json<{ items: WebhookResource[] }>().items.some((hook) => refused.includes(hook.url)),
      'nothing refused was stored',
    )
  })

  t.test('GET lists webhooks without their secrets; GET {id} reads one', async (t) => {
    const created = (
      await register(app, { url: 'https://list.example.com/a' })
    ).json<WebhookCreatedResource>()
    const response = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: manage() })
    t.equal(response.statusCode, 200)
    const { items } = response.json<{ items: WebhookResource[] }>()
    t.ok(items.length >= 2)
    t.ok(
      items.every((item) => !('secret' in item)),
      'no secret in the list',
    )
    t.notOk(response.body.includes(created.secret), 'the secret appears nowhere in the answer')
    t.same(
      items.find((item) => item.id === created.id),
      {
        id: created.id,
        url: created.url,
        events: created.events,
        description: null,
        createdAt: created.createdAt,
      },
    )
    const one = await app.inject({ method: 'GET', url: `/v1/webhooks/${created.id}`, headers: manage() })
    t.equal(one.statusCode, 200)
    t.notOk('secret' in one.json())
    t.equal(one.json().id, created.id)
    const missing = await app.inject({ method: 'GET', url: '/v1/webhooks/whk_nope', headers: manage() })
    t.equal(missing.statusCode, 404)
  })

  t.test('DELETE answers 204, then 404', async (t) => {
    const created = (
      await register(app, { url: 'https://delete.example.com/a' })
    ).json<WebhookCreatedResource>()
    const deleted = await app.inject({
      method: 'DELETE',
      url: `/v1/webhooks/${created.id}`,
      headers: manage(),
    })
    t.equal(deleted.statusCode, 204)
    t.equal(deleted.body, '')
    const again = await app.inject({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, headers: manage() })
    t.equal(again.statusCode, 404)
    t.match(again.json(), { status: 404 })
    const list = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: manage() })
    t.notOk(list.json<{ items: WebhookResource[] }>().items.some((item) => item.id === created.id))
    const unknown = await app.inject({ method: 'DELETE', url: '/v1/webhooks/whk_never', headers: manage() })
    t.equal(unknown.statusCode, 404)
  })

  t.test('GET {id}/deliveries lists recent attempts, newest first, with a limit', async (t) => {
    const created = (
      await register(app, { url: 'https://deliveries.example.com/a' })
    ).json<WebhookCreatedResource>()
    const other = (await register(app, { url: 'https://other.example.com/a' })).json<WebhookCreatedResource>()
    const now = Date.now()
    const messageId = newId('msg')
    const eventId = newId('evt')
    const attempts = [
      aDelivery(created.id, {
        messageId,
        eventId,
        attempt: 1,
        status: 'retrying',
        responseStatus: 500,
        at: now - 3000,
      }),
      aDelivery(created.id, {
        messageId,
        eventId,
        attempt: 2,
        status: 'retrying',
        responseStatus: null,
        at: now - 2000,
      }),
      aDelivery(created.id, {
        messageId,
        eventId,
        attempt: 3,
        status: 'succeeded',
        responseStatus: 204,
        at: now - 1000,
      }),
    ]
    for (const delivery of attempts) await app.store.recordDelivery(delivery)
    await app.store.recordDelivery(aDelivery(other.id))

    const response = await app.inject({
      method: 'GET',
      url: `/v1/webhooks/${created.id}/deliveries`,
      headers: manage(),
    })
    t.equal(response.statusCode, 200)
    const { items } = response.json<{ items: DeliveryResource[] }>()
    t.same(
      items.map((item) => [item.attempt, item.status, item.responseStatus]),
      [
        [3, 'succeeded', 204],
        [2, 'retrying', null],
        [1, 'retrying', 500],
      ],
    )
    t.match(items[0], {
      id: attempts[2]!.id,
      type: 'event.failed',
      eventId,
      at: new Date(now - 1000).toISOString(),
    })
    const limited = await app.inject({
      method: 'GET',
      url: `/v1/webhooks/${created.id}/deliveries?limit=1`,
      headers: manage(),
    })
    t.same(
      limited.json<{ items: DeliveryResource[] }>().items.map((item) => item.attempt),
      [3],
    )
    for (const limit of ['0', '201', 'x']) {
      const bad = await app.inject({
        method: 'GET',
        url: `/v1/webhooks/${created.id}/deliveries?limit=${limit}`,
        headers: manage(),
      })
      t.equal(bad.statusCode, 400, `limit=${limit}`)
    }
    const unknownQuery = await app.inject({
      method: 'GET',
      url: `/v1/webhooks/${created.id}/deliveries?status=failed`,
      headers: manage(),
    })
    t.equal(unknownQuery.statusCode, 400)
    const missing = await app.inject({
      method: 'GET',
      url: '/v1/webhooks/whk_nope/deliveries',
      headers: manage(),
    })
    t.equal(missing.statusCode, 404)
  })

  t.test('Idempotency-Key: the same request answers the same webhook; another request is 422', async (t) => {
    const key = `key-${newId('whk')}`
    const body = { url: 'https://idem.example.com/a', events: ['event.failed'] }
    const first = await register(app, body, { 'idempotency-key': key })
    t.equal(first.statusCode, 201)
    const second = await register(app, body, { 'idempotency-key': key })
    t.equal(second.statusCode, 201)
    t.equal(second.headers['idempotent-replayed'], 'true')
    t.same(second.json(), first.json(), 'the same id and secret')
    const list = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: manage() })
    t.equal(
      list.json<{ items: WebhookResource[] }>().items.filter((item) => item.url === body.url).length,
      1,
      'registered once',
    )
    const other = await register(
      app,
      { ...body, url: 'https://idem.example.com/b' },
      { 'idempotency-key': key },
    )
    t.equal(other.statusCode, 422)
    const tooLong = await register(app, body, { 'idempotency-key': 'k'.repeat(256) })
    t.equal(tooLong.statusCode, 400)
  })

  t.test(
    'Idempotency-Key on DELETE: the same delete replays its 204, another request is a 422',
    async (t) => {
      const doomed = (
        await register(app, { url: 'https://idem-delete.example.com/a' })
      ).json<WebhookCreatedResource>()
      const kept = (
        await register(app, { url: 'https://idem-delete.example.com/b' })
      ).json<WebhookCreatedResource>()
      const headers = { ...manage(), 'idempotency-key': `delete-${newId('whk')}` }
      const url = `/v1/webhooks/${doomed.id}`

      const first = await app.inject({ method: 'DELETE', url, headers })
      t.equal(first.statusCode, 204)
      t.notOk(first.headers['idempotent-replayed'])
      const again = await app.inject({ method: 'DELETE', url, headers })
      t.equal(again.statusCode, 204, 'the recorded answer, not a 404')
      t.equal(again.headers['idempotent-replayed'], 'true')
      t.equal(again.body, '')

      const other = await app.inject({ method: 'DELETE', url: `/v1/webhooks/${kept.id}`, headers })
      t.equal(other.statusCode, 422, 'the key with another webhook')
      const stillThere = await app.inject({
        method: 'GET',
        url: `/v1/webhooks/${kept.id}`,
        headers: manage(),
      })
      t.equal(stillThere.statusCode, 200, 'the other webhook is kept')
      const withoutKey = await app.inject({ method: 'DELETE', url, headers: manage() })
      t.equal(withoutKey.statusCode, 404, 'without the key it is gone')

      const missingKey = { ...manage(), 'idempotency-key': `missing-${newId('whk')}` }
      const missingUrl = '/v1/webhooks/whk_missing'
      t.equal((await app.inject({ method: 'DELETE', url: missingUrl, headers: missingKey })).statusCode, 404)
      const missingAgain = await app.inject({ method: 'DELETE', url: missingUrl, headers: missingKey })
      t.equal(missingAgain.statusCode, 404, 'a 404 records nothing')
      t.notOk(missingAgain.headers['idempotent-replayed'])
    },
  )

  t.test('every route needs webhooks:manage (403) and a token (401)', async (t) => {
    const created = (
      await register(app, { url: 'https://scoped.example.com/a' })
    ).json<WebhookCreatedResource>()
    const routes = [
      { method: 'POST' as const, url: '/v1/webhooks', payload: { url: HOOK_URL } },
      { method: 'GET' as const, url: '/v1/webhooks' },
      { method: 'GET' as const, url: `/v1/webhooks/${created.id}` },
      { method: 'DELETE' as const, url: `/v1/webhooks/${created.id}` },
      { method: 'GET' as const, url: `/v1/webhooks/${created.id}/deliveries` },
    ]
    const others = bearer({ scopes: ['events:read', 'events:write', 'calendar:admin'] })
    for (const route of routes) {
      const forbidden = await app.inject({ ...route, headers: others })
      t.equal(forbidden.statusCode, 403, `${route.method} ${route.url} without the scope`)
      t.match(forbidden.json(), { status: 403, detail: /webhooks:manage/ })
      const anonymous = await app.inject(route)
      t.equal(anonymous.statusCode, 401, `${route.method} ${route.url} without a token`)
    }
    const still = await app.inject({ method: 'GET', url: `/v1/webhooks/${created.id}`, headers: manage() })
    t.equal(still.statusCode, 200, 'the forbidden DELETE changed nothing')
  })
})

t.test('WEBHOOK_ALLOW_LOOPBACK=true allows loopback receivers only', async (t) => {
  const app = await build(t, { WEBHOOK_ALLOW_LOOPBACK: 'true' })
  for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost:3001/hook', 'https://[::1]/hook']) {
    const response = await register(app, { url })
    t.equal(response.statusCode, 201, url)
  }
  for (const url of [
    'http://example.com/hook',
    'https://10.0.0.1/',
    'https://169.254.169.254/',
    'https://[::ffff:127.0.0.1]/',
    'https://metadata.google.internal/',
    'http://user@127.0.0.1/',
  ]) {
    const response = await register(app, { url })
    t.equal(response.statusCode, 400, `${url} still refused`)
  }
})

t.test('the OpenAPI document describes the webhook routes', async (t) => {
  const app = await build(t)
  const response = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(response.statusCode, 200)
  const paths = response.json().paths as Record<string, Record<string, unknown>>
  // Routes registered as '/' under a prefix may be listed with a trailing slash.
  const collection = paths['/v1/webhooks'] ?? paths['/v1/webhooks/']
  t.ok(collection?.post)
  t.ok(collection?.get)
  t.ok(paths['/v1/webhooks/{id}']?.get)
  t.ok(paths['/v1/webhooks/{id}']?.delete)
  t.ok(paths['/v1/webhooks/{id}/deliveries']?.get)
})
