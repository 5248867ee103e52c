import t from 'tap'
import { bearer, build, createBody } from '../../helper.js'

t.test('GET /metrics', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'GET', url: '/v1/events/evt_x', headers: bearer() })
  await app.inject({ method: 'POST', url: '/v1/events', headers: bearer(), payload: createBody() })
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 200)
  t.match(String(response.headers['content-type']), /^text\/plain/)
  t.match(response.body, /http_requests_total\{method="GET",route="\/v1\/events\/:id",status_code="404"\} 1/)
  t.match(response.body, /http_requests_total\{method="POST",route="\/v1\/events",status_code="202"\} 1/)
  t.match(
    response.body,
    /http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/v1\/events",status_code="202"\}/,
  )
  t.match(response.body, /placement_queue_jobs\{state="waiting"\} 1/)
  t.match(response.body, /placement_queue_jobs\{state="active"\} 0/)
})
