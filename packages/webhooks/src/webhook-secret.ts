import { randomBytes } from 'node:crypto'

const SECRET_PREFIX = 'whsec_'
const SECRET_BYTES = 32

/** A new signing secret: `whsec_` + base64 of 32 CSPRNG bytes (the Standard Webhooks format). */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`
}

/** The HMAC key of a `whsec_…` secret: its base64 part, decoded. Throws on a malformed secret. */
export function secretKeyBytes(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('Malformed webhook secret: expected whsec_ followed by base64')
  }
  return Buffer.from(encoded, 'base64')
}
