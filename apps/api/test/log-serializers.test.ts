import t from 'tap'
import { redactUrl } from '../src/log-serializers.js'

t.test('feed tokens never reach the request log', async (t) => {
  t.equal(redactUrl('/v1/calendar.ics?token=ics_secret'), '/v1/calendar.ics?token=[redacted]')
  t.equal(redactUrl('/v1/calendar.ics?x=1&token=ics_secret&y=2'), '/v1/calendar.ics?x=1&token=[redacted]&y=2')
  t.equal(redactUrl('/v1/calendar.ics?TOKEN=a&token=b'), '/v1/calendar.ics?TOKEN=[redacted]&token=[redacted]')
  t.equal(redactUrl('/v1/events?limit=5'), '/v1/events?limit=5')
  t.equal(redactUrl('/v1/events?synctoken=abc'), '/v1/events?synctoken=abc', 'only the `token` parameter')
})
