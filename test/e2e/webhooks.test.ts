import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { at, upcomingWeekday } from '@scheduler/test-helpers/calendar-days'
import { type JsonObject, startService, waitUntil } from '@scheduler/test-helpers/service'
import { Webhook } from 'standardwebhooks'
import t, { type Test } from 'tap'

interface Message {
  webhookId: string
  verified: boolean
  body: JsonObject
}

/**
 * A receiver on loopback that verifies every message with the reference Standard Webhooks package.
 * `hold` delays every answer (a slow receiver).
 */
async function receiver(t: Test, options: { holdMs?: number } = {}) {
  const messages: Message[] = []
  let verifier: Webhook | undefined
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      let verified = false
      try {
        verifier?.verify(raw, request.headers as Record<string, string>)
        verified = true
      } catch {}
      messages.push({ webhookId: String(request.headers['webhook-id']), verified, body: JSON.parse(raw) })
      setTimeout(() => response.writeHead(204).end(), options.holdMs ?? 0)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/scheduler-events`,
    messages,
    useSecret(secret: string) {
      verifier = new Webhook(secret)
    },
  }
}

const ZONE = 'America/Chicago'

t.test('the auto event manager learns of failures (and moves) without polling', async (t) => {
  const service = await startService(t, { CALENDAR_TIMEZONE: ZONE, CALENDAR_HORIZON_DAYS: '14' })
  await service.startApi()
  service.startWorker()
  const hooks = await receiver(t)

  const registered = await service.call('POST', '/v1/webhooks', {
    body: {
      url: hooks.url,
      events: ['event.failed', 'event.rescheduled'],
      description: 'auto event manager',
    },
  })
  t.equal(registered.status, 201)
  t.match(registered.body.secret, /^whsec_/)
  hooks.useSecret(registered.body.secret)

  const day = upcomingWeekday(ZONE)
  const far = day.plus({ days: 30 }).toISODate()
  const unplaceable = await service.createAndPlace({ title: 'Too far', durationMinutes: 30, date: far })
  t.equal(unplaceable.status, 'failed')

  await waitUntil(async () => hooks.messages.length >= 1, 10_000)
  const [failed] = hooks.messages
  t.ok(failed?.verified, 'signed as Standard Webhooks says')
  t.match(failed?.body, {
    type: 'event.failed',
    data: {
      event: { id: unplaceable.id, status: 'failed', failure: { code: 'OUTSIDE_HORIZON' } },
      sequence: 1,
    },
  })

  // A fixed event moves an auto event: event.rescheduled with its previous time. event.scheduled is not
  // subscribed, so the placements themselves send nothing.
  const auto = await service.createAndPlace({ title: 'Auto', durationMinutes: 30, date: day.toISODate() })
  await service.createAndPlace({ title: 'Fixed', durationMinutes: 30, start: auto.start })
  await waitUntil(async () => hooks.messages.length >= 2, 10_000)
  const rescheduled = hooks.messages[1]
  t.ok(rescheduled?.verified)
  t.match(rescheduled?.body, {
    type: 'event.rescheduled',
    data: {
      event: { id: auto.id, start: at(day, '09:30') },
      previous: { start: auto.start, end: auto.end },
      sequence: 2,
    },
  })
  t.equal(hooks.messages.length, 2, 'only subscribed types are sent')

  const deliveries = await service.call('GET', `/v1/webhooks/${registered.body.id}/deliveries`)
  t.equal(deliveries.status, 200)
  t.equal(deliveries.body.items.length, 2)
  t.ok(deliveries.body.items.every((delivery: JsonObject) => delivery.status === 'succeeded'))
})

t.test('a slow receiver never delays placement', async (t) => {
  const service = await startService(t, { CALENDAR_TIMEZONE: ZONE, WEBHOOK_TIMEOUT_MS: '20000' })
  await service.startApi()
  service.startWorker()
  const slow = await receiver(t, { holdMs: 8_000 })
  const registered = await service.call('POST', '/v1/webhooks', {
    body: { url: slow.url, events: ['event.scheduled'] },
  })
  slow.useSecret(registered.body.secret)

  const date = upcomingWeekday(ZONE).toISODate()
  const started = Date.now()
  for (let i = 0; i < 10; i++) {
    const event = await service.createAndPlace({ title: `Meeting ${i}`, durationMinutes: 30, date })
    t.equal(event.status, 'scheduled')
  }
  const elapsed = Date.now() - started
  t.ok(elapsed < 8_000, `10 placements took ${elapsed} ms while the receiver holds each message for 8 s`)
  await waitUntil(async () => slow.messages.length >= 1, 5_000)
  t.ok(slow.messages[0]?.verified)
})
