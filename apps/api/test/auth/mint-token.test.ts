import { generateKeyPairSync } from 'node:crypto'
import { createDecoder } from 'fast-jwt'
import t from 'tap'
import { mintToken } from '../../src/auth/mint-token.js'
import { build, TEST_SECRET, testConfig } from '../helper.js'

t.test('mintToken makes tokens the API accepts', async (t) => {
  const app = await build(t)
  const token = mintToken(testConfig(), { scopes: ['events:read'], ttlSeconds: 120 })
  const claims = createDecoder()(token)
  t.match(claims, {
    iss: 'auto-event-manager',
    aud: 'scheduler-api',
    sub: 'auto-event-manager',
    scope: 'events:read',
  })
  t.ok(claims.exp - claims.iat === 120)
  const read = await app.inject({
    method: 'GET',
    url: '/v1/events',
    headers: { authorization: `Bearer ${token}` },
  })
  t.equal(read.statusCode, 200)
  const write = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${token}` },
    payload: { title: 'x', durationMinutes: 30 },
  })
  t.equal(write.statusCode, 403, 'only the scopes asked for')

  const all = createDecoder()(mintToken(testConfig()))
  t.equal(all.scope, 'events:read events:write webhooks:manage calendar:admin', 'all four scopes by default')
})

t.test('mintToken refuses a public-key deployment', async (t) => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const config = testConfig({ JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString() })
  t.throws(() => mintToken(config), /JWT_PUBLIC_KEY/)
  t.ok(TEST_SECRET)
})
