import {
  createCipheriv,
  createDecipheriv,
  createHash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

/** Feed tokens are `ics_` + 32 random bytes in base64url: 256 bits, unguessable. */
const TOKEN_PREFIX = 'ics_'
const FEED_TOKEN = /^ics_[A-Za-z0-9_-]{43}$/
const SEALED = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/

/** A new feed token id: `ftk_` + 16 random bytes in base64url. */
export function newFeedTokenId(): string {
  return `ftk_${randomBytes(16).toString('base64url')}`
}

/** A new feed token (shown once) and its SHA-256, lower-case hex (the only thing stored). */
export function newFeedToken(): { token: string; tokenHash: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  return { token, tokenHash: hashFeedToken(token) }
}

/** The SHA-256 of a token, lower-case hex; null for a string that cannot be a feed token. */
export function feedTokenHash(token: string): string | null {
  return FEED_TOKEN.test(token) ? hashFeedToken(token) : null
}

function hashFeedToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Whether `token` hashes to `tokenHash` (constant time). */
export function tokenMatches(token: string, tokenHash: string): boolean {
  const actual = Buffer.from(hashFeedToken(token), 'hex')
  const expected = Buffer.from(tokenHash, 'hex')
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/**
 * Seals and opens a feed token for the idempotency record of its creation: a retried `POST` with the same
 * `Idempotency-Key` must answer the same token, yet the store keeps no token in the clear. AES-256-GCM with
 * a key derived (HKDF-SHA256) from SESSION_SECRET; `open` answers null when the key has changed since.
 */
export function makeTokenSealer(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'scheduler-api', 'feed-token idempotency answers', 32))
  return {
    seal(token: string): string {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()])
      return ['v1', iv, sealed, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.')
    },
    open(sealed: string): string | null {
      const parts = SEALED.exec(sealed)
      if (!parts) return null
      try {
        const [iv, data, tag] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'))
        const decipher = createDecipheriv('aes-256-gcm', key, iv as Buffer)
        decipher.setAuthTag(tag as Buffer)
        return Buffer.concat([decipher.update(data as Buffer), decipher.final()]).toString('utf8')
      } catch {
        return null
      }
    },
  }
}

export type TokenSealer = ReturnType<typeof makeTokenSealer>
