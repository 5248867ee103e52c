/**
 * The reasons a failed delivery attempt is recorded with: the `error` of a delivery in the log
 * (`GET /v1/webhooks/{id}/deliveries`) is one of these codes, optionally followed by `: ` and a short detail
 * from a fixed set (never a library's message, a stack or a file path), e.g. `TLS_ERROR: certificate has
 * expired`, `HTTP_STATUS: 503`, `CONNECTION_REFUSED`.
 */
export const DELIVERY_REASONS = {
  /** The receiver answered a status outside 2xx and 3xx (detail: the status). */
  HTTP_STATUS: 'the receiver answered with an error status',
  /** The receiver answered a 3xx; redirects are never followed (detail: the status). */
  REDIRECT: 'the receiver answered with a redirect, which is not followed',
  /** No answer within WEBHOOK_TIMEOUT_MS, or the connection timed out. */
  TIMEOUT: 'no answer in time',
  /** Nothing listens at the receiver's address and port. */
  CONNECTION_REFUSED: 'the connection was refused',
  /** The receiver (or something on the way) closed the connection before answering. */
  CONNECTION_RESET: 'the connection was closed before an answer',
  /** No route to the receiver's address. */
  HOST_UNREACHABLE: 'the receiver cannot be reached',
  /** The host name did not resolve (detail: name not found, no address, lookup failed). */
  DNS_FAILURE: 'the host name did not resolve',
  /** The TLS handshake failed (detail: e.g. certificate has expired, self-signed certificate). */
  TLS_ERROR: 'the TLS handshake failed',
  /** The answer was not valid HTTP. */
  PROTOCOL_ERROR: 'the answer was not valid HTTP',
  /** The SSRF guard refused the address (at the URL check or at connect time): permanent. */
  ADDRESS_REFUSED: 'the address may not receive webhooks',
  /** The URL itself is no longer acceptable (e.g. not https): permanent. */
  URL_REFUSED: 'the URL may not receive webhooks',
  /** Any other network failure (detail: the system error code, when there is one). */
  NETWORK_ERROR: 'the network failed',
} as const

export type DeliveryReason = keyof typeof DELIVERY_REASONS

/**
 * Reasons that no retry can change: the attempt is recorded `failed` at once (BullMQ's
 * `UnrecoverableError`) instead of going through the retry schedule.
 */
export const PERMANENT_REASONS: ReadonlySet<DeliveryReason> = new Set(['ADDRESS_REFUSED', 'URL_REFUSED'])

export interface ClassifiedFailure {
  reason: DeliveryReason
  detail: string | null
}

/** `REASON` or `REASON: detail`, as recorded. */
export function formatReason({ reason, detail }: ClassifiedFailure): string {
  return detail ? `${reason}: ${detail}` : reason
}

/** The words for the certificate and TLS failures Node reports by code (OpenSSL's X509_V_ERR_* names). */
const TLS_DETAILS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
  INVALID_CA: 'invalid CA certificate',
  INVALID_PURPOSE: 'certificate not valid for a server',
  HOSTNAME_MISMATCH: 'certificate does not match the host name',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not a TLS server (wrong version number)',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'no TLS version in common',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS version in common',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'handshake failure alert',
  ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR: 'the receiver reported an internal TLS error',
  ERR_SSL_TLSV1_UNRECOGNIZED_NAME: 'the receiver does not know the host name (SNI)',
}

/** X509 verification codes Node passes through from OpenSSL (the table above names the common ones). */
const X509_CODE =
  /^(CERT_|CRL_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|INVALID_|PATH_LENGTH|HOSTNAME_|ERROR_IN_|KEYUSAGE_|EMAIL_|IP_ADDRESS_|SUBJECT_|AKID_|PROXY_)/

const DNS_DETAILS: Record<string, string> = {
  ENOTFOUND: 'name not found',
  ENODATA: 'no address for the name',
  EAI_NONAME: 'name not found',
  EAI_NODATA: 'no address for the name',
  EAI_AGAIN: 'temporary lookup failure',
  ETIMEOUT: 'lookup timed out',
  ESERVFAIL: 'the name server failed',
  EREFUSED: 'the name server refused the query',
  ECONNREFUSED: 'the name server cannot be reached',
}

const BY_ERRNO: Record<string, ClassifiedFailure> = {
  ECONNREFUSED: { reason: 'CONNECTION_REFUSED', detail: null },
  ECONNRESET: { reason: 'CONNECTION_RESET', detail: null },
  ECONNABORTED: { reason: 'CONNECTION_RESET', detail: null },
  EPIPE: { reason: 'CONNECTION_RESET', detail: null },
  EHOSTUNREACH: { reason: 'HOST_UNREACHABLE', detail: null },
  EHOSTDOWN: { reason: 'HOST_UNREACHABLE', detail: null },
  ENETUNREACH: { reason: 'HOST_UNREACHABLE', detail: 'network unreachable' },
  ENETDOWN: { reason: 'HOST_UNREACHABLE', detail: 'network down' },
  ETIMEDOUT: { reason: 'TIMEOUT', detail: 'connection timed out' },
  ENOTFOUND: { reason: 'DNS_FAILURE', detail: 'name not found' },
  EAI_AGAIN: { reason: 'DNS_FAILURE', detail: 'temporary lookup failure' },
}

const SAFE_CODE = /^[A-Z][A-Z0-9_]{1,47}$/
/** OpenSSL's reason strings (`error.reason`, e.g. "wrong version number"): short words, no paths. */
const SAFE_OPENSSL_REASON = /^[a-z0-9][a-z0-9 _-]{0,79}$/i
/**
 * The reason inside an OpenSSL error line as Node prints it for EPROTO
 * (`…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…/ssl3_record.c:350:`).
 */
const OPENSSL_LINE = /error:[0-9A-F]{8}:[^:]*:[^:]*:([a-z0-9][a-z0-9 _-]{0,79}):/i

/** The short words for a TLS failure: Node's own for known codes, else OpenSSL's reason, never a path. */
function tlsDetail(code: string, fields: { reason?: unknown; message?: unknown }): string {
  const known = TLS_DETAILS[code]
  if (known) return known
  const reason = typeof fields.reason === 'string' ? fields.reason : ''
  if (SAFE_OPENSSL_REASON.test(reason)) return reason.toLowerCase()
  const line = typeof fields.message === 'string' ? OPENSSL_LINE.exec(fields.message) : null
  const words = line?.[1]?.toLowerCase()
  if (words === 'wrong version number') return TLS_DETAILS.ERR_SSL_WRONG_VERSION_NUMBER!
  return words ?? 'handshake failed'
}

/**
 * The recorded reason for an error a delivery request emitted. `kind` says what raised it: the guard's
 * connect-time lookup ('address', 'lookup') or the socket, TLS and HTTP layers ('network').
 */
export function classifyDeliveryError(
  error: unknown,
  kind: 'address' | 'lookup' | 'network',
  guardReason?: string,
): ClassifiedFailure {
  if (kind === 'address') return { reason: 'ADDRESS_REFUSED', detail: guardReason ?? null }
  const fields = (error ?? {}) as { code?: unknown; reason?: unknown; message?: unknown }
  const code = typeof fields.code === 'string' ? fields.code : ''
  if (kind === 'lookup') return { reason: 'DNS_FAILURE', detail: DNS_DETAILS[code] ?? 'lookup failed' }
  // EPROTO: OpenSSL failed on the socket (Node puts OpenSSL's error line, with its source file, in the message)
  if (TLS_DETAILS[code] || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return { reason: 'TLS_ERROR', detail: tlsDetail(code, fields) }
  }
  if (X509_CODE.test(code)) return { reason: 'TLS_ERROR', detail: `certificate rejected (${code})` }
  const errno = BY_ERRNO[code]
  if (errno) return errno
  if (code.startsWith('HPE_')) return { reason: 'PROTOCOL_ERROR', detail: null }
  return { reason: 'NETWORK_ERROR', detail: SAFE_CODE.test(code) ? code : null }
}
