import t from 'tap'
import { newId } from '../src/ids.js'

t.test(
  'an id is its prefix and 16 random bytes in base64url, distinct across many blocks of random bytes',
  async (t) => {
    const ids = Array.from({ length: 2_000 }, () => newId('evt'))
    t.strictSame(
      ids.filter((id) => !/^evt_[A-Za-z0-9_-]{22}$/.test(id)),
      [],
    )
    t.equal(new Set(ids).size, ids.length)
    t.strictSame([...new Set(ids.map((id) => Buffer.from(id.slice(4), 'base64url').length))], [16])
  },
)
