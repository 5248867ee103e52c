import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import t from 'tap'
import { generateWebhookSecret, secretKeyBytes, signWebhook, webhookHeaders } from '../src/index.js'

t.test('a generated secret is whsec_ + base64 of 32 random bytes', async (t) => {
  const secret = generateWebhookSecret()
  t.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
  t.equal(secretKeyBytes(secret).length, 32)
  t.not(generateWebhookSecret(), secret, 'two secrets differ')
})

t.test('secretKeyBytes rejects a malformed secret', async (t) => {
  t.throws(() => secretKeyBytes('whsec_not base64!'))
  t.throws(() => secretKeyBytes('whsec_'))
})

t.test('headers are verified by the standardwebhooks reference implementation', async (t) => {
  const secret = generateWebhookSecret()
  const body = JSON.stringify({ type: 'event.failed', timestamp: new Date().toISOString(), data: { x: 'ü' } })
  const headers = webhookHeaders({ id: 'msg_1', timestamp: Math.floor(Date.now() / 1000), body, secret })
  t.equal(headers['webhook-id'], 'msg_1')
  t.equal(headers['content-type'], 'application/json')
  t.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/)
  t.same(new Webhook(secret).verify(body, headers), JSON.parse(body))
})

t.test('the signature matches the reference signer byte for byte', async (t) => {
  const secret = generateWebhookSecret()
  const at = new Date('2026-12-01T14:00:00Z')
  const body = '{"a":1}'
  t.equal(
    signWebhook({ id: 'msg_x', timestamp: at.getTime() / 1000, body, secret }),
    new Webhook(secret).sign('msg_x', at, body),
  )
})

t.test('a changed body, id, timestamp or secret fails verification', async (t) => {
  const secret = generateWebhookSecret()
  const timestamp = Math.floor(Date.now() / 1000)
  const body = '{"type":"event.failed"}'
  const headers = webhookHeaders({ id: 'msg_1', timestamp, body, secret })
  const verifier = new Webhook(secret)
  t.throws(() => verifier.verify('{"type":"event.scheduled"}', headers), WebhookVerificationError)
  t.throws(() => verifier.verify(body, { ...headers, 'webhook-id': 'msg_2' }), WebhookVerificationError)
  t.throws(
    () => verifier.verify(body, { ...headers, 'webhook-timestamp': String(timestamp + 1) }),
    WebhookVerificationError,
  )
  t.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers), WebhookVerificationError)
})
