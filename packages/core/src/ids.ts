import { randomBytes } from 'node:crypto'

export type IdPrefix = 'evt' | 'job' | 'whk' | 'msg' | 'dlv' | 'att'

const ID_BYTES = 16
// Random bytes are drawn from the CSPRNG a block at a time, each byte used once: one system call per 256
// ids rather than per id (2 % of the create profile's samples). Node's `randomUUID` caches the same way.
const BLOCK_BYTES = ID_BYTES * 256
let block = Buffer.alloc(0)
let offset = 0

/**
 * A new opaque id: the prefix names the resource, 16 random bytes (base64url) make it unguessable.
 * Time-ordering is not implied; lists sort by explicit timestamps.
 */
export function newId(prefix: IdPrefix): string {
  if (offset + ID_BYTES > block.length) {
    block = randomBytes(BLOCK_BYTES)
    offset = 0
  }
  const random = block.toString('base64url', offset, offset + ID_BYTES)
  offset += ID_BYTES
  return `${prefix}_${random}`
}
