import { isIPv4 } from 'node:net'
import ipaddr from 'ipaddr.js'
import { parse as parseDomain } from 'tldts'

export interface AddressPolicy {
  /** Tests and development: loopback addresses (127.0.0.0/8, ::1, `localhost`) become allowed, nothing else. */
  allowLoopback: boolean
}

/**
 * The verdict on a webhook URL. A refusal's `kind` says whether the host (`address`: loopback, private,
 * metadata, cluster-internal, …) or the URL itself (`url`: syntax, scheme, credentials) is the problem.
 */
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string; kind: 'url' | 'address' }

const IPV4_REASONS: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (169.254.0.0/16, where cloud metadata services live)',
  loopback: 'a loopback address',
  carrierGradeNat: 'a shared (CGNAT) address (100.64.0.0/10)',
  private: 'a private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  reserved: 'a reserved address',
}

const IPV6_REASONS: Record<string, string> = {
  unspecified: 'the unspecified address (::)',
  linkLocal: 'a link-local address (fe80::/10)',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  teredo: 'a Teredo tunnelling address',
  rfc6052: 'a local-use NAT64 address (64:ff9b:1::/48)',
  discard: 'a discard-only address (100::/64)',
  reserved: 'a reserved IPv6 address (documentation, benchmarking, IETF protocol)',
}

// Public, routable special-purpose IPv4 blocks that ipaddr.js names but that are ordinary internet hosts.
const PUBLIC_IPV4_RANGES = new Set(['unicast', 'as112', 'amt'])

type Verdict = { kind: 'public' } | { kind: 'loopback' } | { kind: 'forbidden'; reason: string }

function classifyIPv4(address: ipaddr.IPv4): Verdict {
  const range = address.range()
  if (PUBLIC_IPV4_RANGES.has(range)) return { kind: 'public' }
  if (range === 'loopback') return { kind: 'loopback' }
  return { kind: 'forbidden', reason: IPV4_REASONS[range] ?? `a special-purpose address (${range})` }
}

function ipv4ToHex(dotted: string): string {
  const [a, b, c, d] = ipaddr.IPv4.parse(dotted).octets as [number, number, number, number]
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
}

/**
 * IPv6 forms that carry an IPv4 address the packets may end up at: the embedded address must itself be
 * public. A loopback behind such a form is refused even when loopback is allowed — only the plain forms are.
 */
function embeddedIPv4(address: ipaddr.IPv6): { form: string; ipv4: ipaddr.IPv4 } | null {
  const p = address.parts as [number, number, number, number, number, number, number, number]
  const range = address.range()
  if (range === 'ipv4Mapped') return { form: 'an IPv4-mapped IPv6 address', ipv4: ipv4FromParts(p[6], p[7]) }
  if (range === 'rfc6145') return { form: 'an IPv4-translated IPv6 address', ipv4: ipv4FromParts(p[6], p[7]) }
  if (p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return { form: 'an IPv4-compatible IPv6 address', ipv4: ipv4FromParts(p[6], p[7]) }
  }
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return { form: 'a NAT64 address (64:ff9b::/96)', ipv4: ipv4FromParts(p[6], p[7]) }
  }
  if (p[0] === 0x2002) return { form: 'a 6to4 address (2002::/16)', ipv4: ipv4FromParts(p[1], p[2]) }
  return null
}

function classifyIPv6(address: ipaddr.IPv6): Verdict {
  const range = address.range()
  if (range === 'loopback') return { kind: 'loopback' }
  if (range === 'unspecified') return { kind: 'forbidden', reason: IPV6_REASONS.unspecified! }
  const embedded = embeddedIPv4(address)
  if (embedded) {
    const inner = classifyIPv4(embedded.ipv4)
    if (inner.kind === 'public') return inner
    const why = inner.kind === 'loopback' ? 'a loopback address' : inner.reason.replace(/ \([^()]*\)$/, '')
    return { kind: 'forbidden', reason: `${embedded.form} embedding ${why} (${embedded.ipv4.toString()})` }
  }
  const reason = IPV6_REASONS[range]
  if (reason) return { kind: 'forbidden', reason }
  // Only 2000::/3 is allocated global unicast; everything else is reserved or special-purpose.
  const globalUnicast = ((address.parts[0] ?? 0) & 0xe000) === 0x2000
  if (range !== 'unicast') return { kind: 'forbidden', reason: `a special-purpose IPv6 address (${range})` }
  if (!globalUnicast) return { kind: 'forbidden', reason: 'a reserved IPv6 address (outside 2000::/3)' }
  return { kind: 'public' }
}

/**
 * Why a webhook may not reach `ip` (a resolved or literal address), or null when it may. Loopback is
 * allowed only with `allowLoopback`; every other non-public range is always refused.
 */
export function isForbiddenAddress(ip: string, options: AddressPolicy): string | null {
  const literal = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip
  if (!ipaddr.isValid(literal)) return 'not an IP address'
  // inet_ntop (and so resolvers) print IPv4-compatible addresses as `::a.b.c.d`, which ipaddr.js reads
  // as IPv4-mapped: the verdict is the same, the reason would name the wrong form.
  const compatible = /^::(\d{1,3}(?:\.\d{1,3}){3})$/.exec(literal)?.[1]
  const parsed =
    compatible && isIPv4(compatible) ? ipaddr.IPv6.parse(`::${ipv4ToHex(compatible)}`) : ipaddr.parse(literal)
  const verdict =
    parsed.kind() === 'ipv4' ? classifyIPv4(parsed as ipaddr.IPv4) : classifyIPv6(parsed as ipaddr.IPv6)
  if (verdict.kind === 'public') return null
  if (verdict.kind === 'loopback') return options.allowLoopback ? null : 'a loopback address'
  return verdict.reason
}

// Names that reach the instance's metadata service or the private network rather than the internet.
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.com',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
])
/**
 * Names that only resolve inside a cluster, a private network or a host, whatever resolver answers them:
 * RFC 6761 special-use names (`.test`, `.example`, `.invalid`; `.localhost` is loopback), mDNS `.local`
 * (RFC 6762), `.home.arpa` (RFC 8375), `.alt` (RFC 9476), ICANN's private-use `.internal`, Kubernetes'
 * `.svc` and `.cluster.local`, Consul's `.consul`, and the suffixes corporate and home networks use. Matched
 * as whole labels at the end of the name. Any other name outside the public DNS is refused by the
 * top-level-domain rule below; this list names the common ones for a clearer reason.
 */
const PRIVATE_SUFFIXES = [
  'svc',
  'cluster.local',
  'internal',
  'local',
  'localdomain',
  'home.arpa',
  'intranet',
  'lan',
  'corp',
  'home',
  'private',
  'consul',
  'test',
  'example',
  'invalid',
  'alt',
].map((suffix) => `.${suffix}`)

function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost')
}

/** Why a DNS name may not be a webhook host, or null. `name` is lower-case without a trailing dot. */
function forbiddenName(name: string, options: AddressPolicy): string | null {
  if (isLoopbackName(name)) return options.allowLoopback ? null : 'a loopback host name'
  if (METADATA_NAMES.has(name)) return 'a cloud metadata host name'
  // A single label resolves through the resolver's search domains, i.e. to an internal host.
  if (!name.includes('.')) return 'a single-label host name'
  const suffix = PRIVATE_SUFFIXES.find((candidate) => name.endsWith(candidate))
  if (suffix) return `a private-network or cluster-internal host name (${suffix})`
  // Reverse-lookup and other infrastructure names (in-addr.arpa, ip6.arpa, …) are no web hosts.
  if (name.endsWith('.arpa')) return 'an infrastructure (.arpa) name'
  // Tor names are reachable only through a Tor proxy (RFC 7686).
  if (name.endsWith('.onion')) return 'a Tor (.onion) name'
  // Everything else must end in a top-level domain of the public DNS (ICANN's part of the Public Suffix
  // List): `kubernetes.default`, `db.prod`, `*.k8s` and the like are resolved by search domains or a
  // private resolver, never by the internet's.
  const parsed = parseDomain(name, { allowPrivateDomains: false })
  if (!parsed.isIcann) {
    const tld = name.slice(name.lastIndexOf('.'))
    return `a name outside the public DNS (${tld} is not a public top-level domain)`
  }
  return null
}

/**
 * Checks a webhook URL at registration (and again before every delivery). WHATWG URL parsing has already
 * turned decimal, octal, hex and short IPv4 spellings, percent-encoding and full-width digits into dotted
 * decimal, and IPv6 literals into their compressed form, so every spelling of an address is judged as the
 * address itself. DNS names are judged by name here (loopback, metadata, single-label, private-network
 * and cluster-internal names, and names outside the public DNS) and by their resolved addresses at delivery.
 */
export function checkWebhookUrl(url: string, options: AddressPolicy): UrlCheck {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return { ok: false, reason: 'not a valid absolute URL', kind: 'url' }
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return { ok: false, reason: 'the URL must use https', kind: 'url' }
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'the URL must not contain credentials (user:password@)', kind: 'url' }
  }
  const hostname = parsed.hostname
  let reason: string | null
  let loopback: boolean
  if (hostname.startsWith('[') || isIPv4(hostname)) {
    reason = isForbiddenAddress(hostname, options)
    loopback = isForbiddenAddress(hostname, { allowLoopback: false }) === 'a loopback address'
  } else {
    const name = hostname.replace(/\.+$/, '')
    if (name === '') return { ok: false, reason: 'the URL has no host', kind: 'url' }
    reason = forbiddenName(name, options)
    loopback = isLoopbackName(name)
  }
  if (reason) return { ok: false, reason: `the host is ${reason}`, kind: 'address' }
  if (parsed.protocol === 'http:' && !(options.allowLoopback && loopback)) {
    return { ok: false, reason: 'the URL must use https', kind: 'url' }
  }
  return { ok: true, url: parsed }
}
