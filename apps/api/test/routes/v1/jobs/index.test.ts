import type { EventAcceptedResource } from '@scheduler/contract'
import t from 'tap'
import { bearer, build, createBody } from '../../../helper.js'

t.test('GET /v1/jobs/{id}', async (t) => {
  const app = await build(t)
  const created = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: bearer(),
    payload: createBody(),
  })
  const { event, job } = created.json<EventAcceptedResource>()

  const response = await app.inject({
    method: 'GET',
    url: `/v1/jobs/${job.id}`,
    headers: bearer({ scopes: ['events:read'] }),
  })
  t.equal(response.statusCode, 200)
  t.same(Object.keys(response.json()).sort(), [
    'createdAt',
    'error',
    'eventId',
    'finishedAt',
    'id',
    'outcome',
    'state',
    'type',
  ])
  t.match(response.json(), {
    id: job.id,
    type: 'create',
    eventId: event.id,
    state: 'queued',
    outcome: null,
    error: null,
    createdAt: event.createdAt,
    finishedAt: null,
  })

  const missing = await app.inject({ method: 'GET', url: '/v1/jobs/job_missing', headers: bearer() })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { status: 404, detail: /job_missing/ })
  t.equal((await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}` })).statusCode, 401)
})
