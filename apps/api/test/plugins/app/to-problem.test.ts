import { InvalidCursorError, StoreUnavailableError } from '@scheduler/store'
import t from 'tap'
import { ConflictProblem } from '../../../src/errors.js'
import { fieldErrorsOf, toProblem } from '../../../src/plugins/app/error-handler.js'
import { QueueUnavailableError } from '../../../src/redis-errors.js'

t.test('toProblem maps what the API can meet', async (t) => {
  const conflict = new ConflictProblem('no')
  t.equal(toProblem(conflict), conflict)
  t.match(toProblem(new StoreUnavailableError('connect ECONNREFUSED 10.0.0.7:5432')), {
    status: 503,
    headers: { 'retry-after': String },
    detail: 'The calendar store is unavailable',
  })
  t.match(toProblem(new InvalidCursorError('bad')), { status: 400, errors: [{ path: '/query/cursor' }] })
  t.match(toProblem(new QueueUnavailableError('The job queue (Redis) is unavailable')), {
    status: 503,
    headers: { 'retry-after': String },
    detail: 'The job queue (Redis) is unavailable',
  })
  t.match(
    toProblem(Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })),
    { status: 413 },
  )
  t.match(
    toProblem(
      Object.assign(new Error('bad type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
    ),
    { status: 415 },
  )
  t.equal(toProblem(new TypeError('x is undefined')), null, 'anything else is a 5xx with no detail')
})

t.test('fieldErrorsOf turns ajv errors into JSON pointers', async (t) => {
  t.same(
    fieldErrorsOf(
      [
        {
          instancePath: '',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'a/b' },
          message: 'x',
        },
        {
          instancePath: '/attendees/0',
          keyword: 'required',
          params: { missingProperty: 'email' },
          message: 'x',
        },
        { instancePath: '/start', keyword: 'format', params: { format: 'date-time' }, message: 'x' },
        { instancePath: '/limit', keyword: 'minimum', params: {}, message: 'must be >= 1' },
      ],
      'body',
    ),
    [
      { path: '/body/a~1b', message: 'is not a known field' },
      { path: '/body/attendees/0/email', message: 'is required' },
      {
        path: '/body/start',
        message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T14:00:00Z',
      },
      { path: '/body/limit', message: 'must be >= 1' },
    ],
  )
  t.same(
    fieldErrorsOf(
      [{ instancePath: '/limit', keyword: 'type', params: {}, message: 'must be integer' }],
      'querystring',
    ),
    [{ path: '/query/limit', message: 'must be integer' }],
  )
})

t.test('errors are classified by their source, not by a socket error code', async (t) => {
  // A client that resets the connection mid-body: the request stream fails with ECONNRESET
  const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 })
  t.match(toProblem(aborted), { status: 400 }, 'not a 503')
  // ioredis's own text, but not raised by a Redis call of the API's: not taken for a Redis outage
  const offline = new Error("Stream isn't writeable and enableOfflineQueue options is false")
  t.equal(toProblem(offline), null)
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:443'), { code: 'ECONNREFUSED' })
  t.equal(toProblem(refused), null, 'an unknown source is a 500, logged as such')
})
