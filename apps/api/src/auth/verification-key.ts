import { createPublicKey } from 'node:crypto'
import { type Config, signingSecret } from '@scheduler/config'

export type TokenAlgorithm = 'HS256' | 'RS256' | 'ES256'

export interface VerificationKey {
  key: string
  /** The only algorithms a token may be signed with: anything else, `none` included, is refused. */
  algorithms: TokenAlgorithm[]
}

/**
 * The key tokens are verified with: JWT_PUBLIC_KEY (RS256 for an RSA key, ES256 for a P-256 key) when set,
 * else the HS256 secret. One key type at a time, so an HMAC token can never be checked against a public key.
 */
export function verificationKey(config: Config): VerificationKey {
  if (config.JWT_PUBLIC_KEY) {
    // Environment files often carry a PEM on one line with escaped newlines
    const pem = config.JWT_PUBLIC_KEY.replace(/\\n/g, '\n')
    const key = createPublicKey(pem)
    if (key.asymmetricKeyType === 'rsa') return { key: pem, algorithms: ['RS256'] }
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
      return { key: pem, algorithms: ['ES256'] }
    }
    throw new Error('JWT_PUBLIC_KEY must be an RSA or a P-256 EC public key (PEM)')
  }
  const secret = signingSecret(config)
  if (!secret) throw new Error('Set JWT_SECRET or JWT_PUBLIC_KEY')
  return { key: secret, algorithms: ['HS256'] }
}
