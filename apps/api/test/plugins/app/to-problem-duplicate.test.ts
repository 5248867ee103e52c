import { DuplicateIdError } from '@scheduler/store'
import t from 'tap'
import { toProblem } from '../../../src/plugins/app/error-handler.js'

t.test('a record the store already holds (a duplicate id) is a 409, not a 500', async (t) => {
  t.match(toProblem(new DuplicateIdError('E11000 duplicate key')), {
    status: 409,
    detail: 'A record with this id exists already',
  })
})
