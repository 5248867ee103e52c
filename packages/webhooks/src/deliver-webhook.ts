import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
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
}

export interface DeliveryResult {
  /** A 2xx answer. */
  ok: boolean
  /** The receiver's status code, or null when none arrived. */
  status: number | null
  /** Why the attempt failed (short, safe to store and show), or null. */
  error: string | null
}

export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError'
  readonly code = 'EFORBIDDENADDRESS'
}

/**
 * A `lookup` for sockets that resolves the name and refuses it when ANY of its addresses is forbidden: the
 * connect-time half of the SSRF guard, which a DNS name pointing at a private address cannot pass (and,
 * because the socket connects to exactly the address checked here, neither can DNS rebinding).
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const lookupOptions: LookupAllOptions = { all: true }
    if (options.family !== undefined) lookupOptions.family = options.family
    if (options.hints !== undefined) lookupOptions.hints = options.hints
    dnsLookup(hostname, lookupOptions, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      if (addresses.length === 0) {
        return callback(new Error(`${hostname} did not resolve`), '', 0)
      }
      for (const entry of addresses) {
        const reason = isForbiddenAddress(entry.address, policy)
        if (reason) {
          return callback(
            new ForbiddenAddressError(`${hostname} resolves to ${reason} (${entry.address})`),
            '',
            0,
          )
        }
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]!
      callback(null, first.address, first.family)
    })
  }
}

/**
 * One delivery attempt: POST `body` to `url`. Never follows redirects (a 3xx fails), never throws: the
 * outcome says whether a 2xx arrived within `timeoutMs`. The URL is checked again here and every resolved
 * address is checked at connect time.
 */
export function deliverWebhook(request: DeliveryRequest): Promise<DeliveryResult> {
  const policy = { allowLoopback: request.allowLoopback }
  const check = checkWebhookUrl(request.url, policy)
  if (!check.ok) return Promise.resolve({ ok: false, status: null, error: `refused: ${check.reason}` })
  const url = check.url
  const timeoutMs = request.timeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS
  const client = url.protocol === 'https:' ? https : http
  const body = Buffer.from(request.body, 'utf8')

  return new Promise<DeliveryResult>((resolve) => {
    let status: number | null = null
    let settled = false
    const finish = (error: string | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      if (error !== null && status === null) {
        resolve({ ok: false, status: null, error })
        return
      }
      const ok = status !== null && status >= 200 && status < 300
      const why = ok
        ? null
        : status !== null && status >= 300 && status < 400
          ? `redirect (${status}) not followed`
          : `HTTP ${status}`
      resolve({ ok, status, error: why })
    }
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs)

    const req = client.request(url, {
      method: 'POST',
      headers: {
        ...request.headers,
        'content-length': String(body.length),
        'user-agent': 'scheduler-api-webhooks/1',
      },
      lookup: guardedLookup(policy),
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
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish(error instanceof ForbiddenAddressError ? `refused: ${error.message}` : describeError(error))
    })
    req.end(body)
  })
}

function describeError(error: NodeJS.ErrnoException): string {
  return error.code ? `${error.code}: ${error.message}` : error.message
}
