import t from 'tap'
import { toProblem } from '../../../src/plugins/app/error-handler.js'
import {
  ConflictError,
  IdempotencyKeyReusedError,
  InvalidInputError,
  MalformedInputError,
  NotFoundError,
  PreconditionFailedError,
  UnavailableError,
} from '../../../src/services/domain-errors.js'

t.test('domain errors are answered as the problems the routes answered before', async (t) => {
  t.match(toProblem(new NotFoundError('Event e does not exist')), {
    status: 404,
    type: 'urn:scheduler-api:problem:not-found',
    detail: 'Event e does not exist',
  })
  t.match(toProblem(new ConflictError('cancelled')), { status: 409, detail: 'cancelled' })
  t.match(toProblem(new PreconditionFailedError('at 3')), { status: 412, detail: 'at 3' })
  t.match(toProblem(new IdempotencyKeyReusedError()), {
    status: 422,
    type: 'urn:scheduler-api:problem:idempotency-key-reused',
  })
  t.match(toProblem(new UnavailableError('Not ready: Redis did not answer')), {
    status: 503,
    headers: { 'retry-after': '5' },
    detail: 'Not ready: Redis did not answer',
  })
})

t.test('input issues point into the body; the detail names the first three', async (t) => {
  t.same(toProblem(InvalidInputError.at('/start', 'is in the past'))?.errors, [
    { path: '/body/start', message: 'is in the past' },
  ])
  t.match(toProblem(InvalidInputError.at('/start', 'is in the past')), {
    status: 422,
    type: 'urn:scheduler-api:problem:unprocessable',
    detail: '/body/start: is in the past',
  })
  const many = new InvalidInputError(
    [0, 1, 2, 3, 4].map((i) => ({ field: `/busy/${i}/end`, message: 'must be after start' })),
  )
  t.equal(
    toProblem(many)?.detail,
    '/body/busy/0/end: must be after start; /body/busy/1/end: must be after start; ' +
      '/body/busy/2/end: must be after start; and 2 more',
  )
  t.match(toProblem(new InvalidInputError([{ field: '', message: 'x' }], 'core says x')), {
    detail: 'core says x',
    errors: [{ path: '/body', message: 'x' }],
  })
  t.match(toProblem(MalformedInputError.at('/url', 'must use https')), {
    status: 400,
    type: 'urn:scheduler-api:problem:invalid-request',
    detail: '/body/url: must use https',
  })
})
