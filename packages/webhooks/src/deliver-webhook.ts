import { promises as dns, type LookupAddress, type LookupAllOptions } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import {
  type ClassifiedFailure,
  classifyDeliveryError,
  type DeliveryReason,
  formatReason,
  PERMANENT_REASONS,
} from './delivery-reason.js'
import { type AddressPolicy, checkWebhookUrl, isForbiddenAddress } from './url-guard.js'

/** The contract's limit: no answer within 10 s is a failed attempt. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000
/** How much of a receiver's answer is read before the connection is dropped. */
export const MAX_RESPONSE_BYTES = 64 * 1024

export interface DeliveryRequest {
  url: string
  headers: Record<string, string>
  body: string
  /** The whole attempt (resolve, connect, send, answer). */
  timeoutMs?: number
  allowLoopback: boolean
  /** How host names are resolved before the connect-time check (default: the system's `dns.lookup`). */
  resolve?: HostResolver
}

export interface DeliveryResult {
  /** A 2xx answer. */
  ok: boolean
  /** The receiver's status code, or null when none arrived. */
  status: number | null
  /**
   * Why the attempt failed, as recorded in the delivery log: `REASON` or `REASON: detail` from the
   * vocabulary of DELIVERY_REASONS (short, stable, never a library message or a path); null on success.
   */
  error: string | null
  /** The code of `error`, or null on success. */
  reason: DeliveryReason | null
  /** No retry can succeed (the guard refused the URL or the address): fail the delivery at once. */
  permanent: boolean
}

/** Resolves a host name to every address it has (`family` 0: both), as `dns.lookup` with `all: true`. */
export type HostResolver = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>

/** The system resolver (getaddrinfo, /etc/hosts, search domains): what production uses. */
export const systemResolver: HostResolver = (hostname, options) =>
  dns.lookup(hostname, { ...options, all: true })

/**
 * A HostResolver asking the DNS servers of `resolver` (A and AAAA queries, no /etc/hosts): for a
 * deployment that must use given name servers, and for tests that answer with a DNS server of their own.
 */
export function dnsServerResolver(resolver: dns.Resolver): HostResolver {
  return async (hostname, options) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0)
    const queries: Array<Promise<LookupAddress[]>> = []
    if (family !== 6) {
      queries.push(
        resolver.resolve4(hostname).then((list) => list.map((address) => ({ address, family: 4 }))),
      )
    }
    if (family !== 4) {
      queries.push(
        resolver.resolve6(hostname).then((list) => list.map((address) => ({ address, family: 6 }))),
      )
    }
    const settled = await Promise.allSettled(queries)
    const addresses = settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []))
    if (addresses.length > 0) return addresses
    const failure = settled.find((result) => result.status === 'rejected')
    throw failure
      ? failure.reason
      : Object.assign(new Error(`${hostname} has no address`), { code: 'ENODATA' })
  }
}

/** The guard refused an address a host name resolved to (connect time). */
export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError'
  readonly code = 'EFORBIDDENADDRESS'
  constructor(
    message: string,
    /** The guard's words, without the address: what the delivery log records. */
    readonly reason: string,
    readonly address: string,
  ) {
    super(message)
  }
}

/** The host name could not be resolved (its `code` is the resolver's: ENOTFOUND, ENODATA, EAI_AGAIN, …). */
export class HostLookupError extends Error {
  override name = 'HostLookupError'
  readonly code: string
  constructor(hostname: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code
    super(`${hostname} did not resolve`, { cause })
    this.code = typeof code === 'string' ? code : 'ENOTFOUND'
  }
}

/**
 * A `lookup` for sockets that resolves the name and refuses it when ANY of its addresses is forbidden: the
 * connect-time half of the SSRF guard, which a DNS name pointing at a private address cannot pass (and,
 * because the socket connects to exactly the address checked here, neither can DNS rebinding). Errors are a
 * ForbiddenAddressError or a HostLookupError.
 */
export function guardedLookup(policy: AddressPolicy, resolve: HostResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const lookupOptions: LookupAllOptions = { all: true }
    if (options.family !== undefined) lookupOptions.family = options.family
    if (options.hints !== undefined) lookupOptions.hints = options.hints
    resolve(hostname, lookupOptions).then(
      (addresses) => {
        if (addresses.length === 0) {
          return callback(new HostLookupError(hostname, { code: 'ENODATA' }), '', 0)
        }
        for (const entry of addresses) {
          const reason = isForbiddenAddress(entry.address, policy)
          if (reason) {
            return callback(
              new ForbiddenAddressError(
                `${hostname} resolves to ${reason} (${entry.address})`,
                `the host resolves to ${reason}`,
                entry.address,
              ),
              '',
              0,
            )
          }
        }
        if (options.all) return callback(null, addresses)
        const first = addresses[0]!
        callback(null, first.address, first.family)
      },
      (error: unknown) => callback(new HostLookupError(hostname, error), '', 0),
    )
  }
}

function failed(failure: ClassifiedFailure, status: number | null = null): DeliveryResult {
  return {
    ok: false,
    status,
    error: formatReason(failure),
    reason: failure.reason,
    permanent: PERMANENT_REASONS.has(failure.reason),
  }
}

/**
 * One delivery attempt: POST `body` to `url`. Never follows redirects (a 3xx fails), never throws: the
 * outcome says whether a 2xx arrived within `timeoutMs`, and why not in the words of DELIVERY_REASONS. The
 * URL is checked again here and every resolved address is checked at connect time; a refusal by either is
 * `permanent`.
 */
export function deliverWebhook(request: DeliveryRequest): Promise<DeliveryResult> {
  const policy = { allowLoopback: request.allowLoopback }
  const check = checkWebhookUrl(request.url, policy)
  if (!check.ok) {
    const reason = check.kind === 'address' ? 'ADDRESS_REFUSED' : 'URL_REFUSED'
    return Promise.resolve(failed({ reason, detail: check.reason }))
  }
  const url = check.url
  const timeoutMs = request.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS
  const client = url.protocol === 'https:' ? https : http
  const body = Buffer.from(request.body, 'utf8')

  return new Promise<DeliveryResult>((resolve) => {
    let status: number | null = null
    let settled = false
    const finish = (failure: ClassifiedFailure | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      if (status === null) {
        resolve(failed(failure ?? { reason: 'CONNECTION_RESET', detail: null }))
        return
      }
      if (status >= 200 && status < 300) {
        resolve({ ok: true, status, error: null, reason: null, permanent: false })
        return
      }
      const redirect = status >= 300 && status < 400
      const detail = redirect ? `${status} not followed` : String(status)
      resolve(failed({ reason: redirect ? 'REDIRECT' : 'HTTP_STATUS', detail }, status))
    }
    const timer = setTimeout(
      () => finish({ reason: 'TIMEOUT', detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    )

    const req = client.request(url, {
      method: 'POST',
      headers: {
        ...request.headers,
        'content-length': String(body.length),
        'user-agent': 'scheduler-api-webhooks/1',
      },
      lookup: guardedLookup(policy, request.resolve),
      // A fresh connection per attempt: a pooled socket would skip the connect-time address check.
      agent: false,
    })
    req.on('response', (res) => {
      status = res.statusCode ?? null
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        // The answer's content is not used: read a bounded amount so the receiver can finish, then drop it.
        if (received > MAX_RESPONSE_BYTES) finish(null)
      })
      res.on('end', () => finish(null))
      res.on('error', () => finish(null))
      res.on('close', () => finish(null))
    })
    req.on('error', (error: Error) => {
      if (error instanceof ForbiddenAddressError)
        finish(classifyDeliveryError(error, 'address', error.reason))
      else if (error instanceof HostLookupError) finish(classifyDeliveryError(error, 'lookup'))
      else finish(classifyDeliveryError(error, 'network'))
    })
    req.end(body)
  })
}
