import { randomBytes } from 'node:crypto'

export type IdPrefix = 'evt' | 'job' | 'whk' | 'msg' | 'dlv' | 'att'

/**
 * A new opaque id: the prefix names the resource, 16 random bytes (base64url) make it unguessable.
 * Time-ordering is not implied; lists sort by explicit timestamps.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`
}
