import t from 'tap'
import { checkWebhookUrl, isForbiddenAddress } from '../src/index.js'

const strict = { allowLoopback: false }
const loose = { allowLoopback: true }

const accepted = [
  'https://example.com/hooks',
  'https://hooks.example.com:8443/a/b?c=d',
  'https://EXAMPLE.com./x', // trailing dot, upper case
  'https://8.8.8.8/',
  'https://134744072/', // 8.8.8.8 in decimal
  'https://0x8.0x8.0x8.0x8/', // 8.8.8.8 in hex
  'https://[2606:4700:4700::1111]/',
  'https://[::ffff:8.8.8.8]/', // mapped, but a public address
  'https://[64:ff9b::808:808]/', // NAT64 of 8.8.8.8
  'https://[2002:808:808::1]/', // 6to4 of 8.8.8.8
  'https://good.com\\@127.0.0.1/', // the backslash ends the host: the host is good.com
  'https://xn--bcher-kva.example/', // IDN
]

/** [url, a fragment of the reason] */
const refused: Array<[string, string]> = [
  ['http://example.com/', 'https'],
  ['ftp://example.com/', 'https'],
  ['javascript:alert(1)', 'https'],
  ['not a url', 'valid'],
  ['/relative/path', 'valid'],
  ['https://user:pass@example.com/', 'credentials'],
  ['https://user@example.com/', 'credentials'],
  ['https://good.com@127.0.0.1/', 'credentials'],
  ['https://user%40good.com@10.0.0.1/', 'credentials'],
  ['https://127.0.0.1#@good.com/', 'loopback'], // the fragment hides nothing: the host is 127.0.0.1
  ['https://127.0.0.1:443\\@good.com/', 'loopback'], // the backslash ends the host
  ['https://127.0.0.1?@good.com/', 'loopback'],
  // loopback, every spelling
  ['https://127.0.0.1/', 'loopback'],
  ['https://127.1.2.3/', 'loopback'],
  ['https://2130706433/', 'loopback'], // decimal
  ['https://0177.0.0.1/', 'loopback'], // octal
  ['https://017700000001/', 'loopback'], // octal, one number
  ['https://0x7f.1/', 'loopback'], // hex, short
  ['https://0x7f000001/', 'loopback'], // hex, one number
  ['https://127.1/', 'loopback'], // short
  ['https://127.0.0.1./', 'loopback'], // trailing dot
  ['https://%31%32%37.0.0.1/', 'loopback'], // percent-encoded
  ['https://１２７.０.０.１/', 'loopback'], // full-width digits
  ['https://[::1]/', 'loopback'],
  ['https://[0:0:0:0:0:0:0:1]/', 'loopback'],
  ['https://localhost/', 'loopback'],
  ['https://LOCALHOST./', 'loopback'],
  ['https://api.localhost/', 'loopback'],
  // IPv4 inside IPv6
  ['https://[::ffff:127.0.0.1]/', 'IPv4-mapped'],
  ['https://[::ffff:7f00:1]/', 'IPv4-mapped'],
  ['https://[::ffff:10.0.0.1]/', 'IPv4-mapped'],
  ['https://[::ffff:169.254.169.254]/', 'link-local'],
  ['https://[::127.0.0.1]/', 'IPv4-compatible'],
  ['https://[::7f00:1]/', 'IPv4-compatible'],
  ['https://[::ffff:0:7f00:1]/', 'IPv4-translated'],
  ['https://[64:ff9b::7f00:1]/', 'NAT64'],
  ['https://[64:ff9b::10.0.0.1]/', 'NAT64'],
  ['https://[64:ff9b:1::a00:1]/', 'NAT64'], // local-use NAT64
  ['https://[2002:7f00:1::]/', '6to4'],
  ['https://[2002:c0a8:101::1]/', '6to4'], // 192.168.1.1
  ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'Teredo'],
  // private and shared
  ['https://10.0.0.1/', 'private'],
  ['https://167772161/', 'private'], // 10.0.0.1 in decimal
  ['https://172.16.0.1/', 'private'],
  ['https://172.31.255.255/', 'private'],
  ['https://192.168.1.1/', 'private'],
  ['https://0xc0.0xa8.1.1/', 'private'], // 192.168.1.1 in hex
  ['https://100.64.0.1/', 'CGNAT'],
  ['https://100.100.100.200/', 'CGNAT'], // Alibaba's metadata service
  // link-local and metadata
  ['https://169.254.169.254/latest/meta-data/', 'link-local'],
  ['https://2852039166/', 'link-local'], // 169.254.169.254 in decimal
  ['https://0xa9fea9fe/', 'link-local'], // in hex
  ['https://0251.0376.0251.0376/', 'link-local'], // in octal
  ['https://[fe80::1]/', 'link-local'],
  ['https://[febf::1]/', 'link-local'],
  ['https://metadata.google.internal/', 'metadata'],
  ['https://metadata.google.internal./', 'metadata'],
  ['https://metadata/', 'metadata'],
  ['https://instance-data/', 'metadata'],
  ['https://instance-data.ec2.internal/', 'metadata'],
  ['https://printer.local/', 'private-network'],
  ['https://intranet/', 'single-label'],
  // unique-local, site-local, multicast, unspecified, broadcast, reserved
  ['https://[fc00::1]/', 'unique-local'],
  ['https://[fd00:ec2::254]/', 'unique-local'], // AWS IPv6 metadata
  ['https://[fec0::1]/', 'site-local'],
  ['https://224.0.0.1/', 'multicast'],
  ['https://239.255.255.250/', 'multicast'],
  ['https://[ff02::1]/', 'multicast'],
  ['https://0.0.0.0/', 'unspecified'],
  ['https://0/', 'unspecified'],
  ['https://0.1.2.3/', 'unspecified'],
  ['https://[::]/', 'unspecified'],
  ['https://255.255.255.255/', 'broadcast'],
  ['https://240.0.0.1/', 'reserved'],
  ['https://192.0.2.1/', 'reserved'], // TEST-NET-1
  ['https://198.18.0.1/', 'reserved'], // benchmarking
  ['https://[2001:db8::1]/', 'reserved'], // documentation
  ['https://[100::1]/', 'discard'], // discard-only
  ['https://[4000::1]/', 'reserved'], // outside 2000::/3
]

t.test('accepted URLs', async (t) => {
  for (const url of accepted) {
    const check = checkWebhookUrl(url, strict)
    t.ok(check.ok, `${url} accepted${check.ok ? '' : `, but: ${check.reason}`}`)
  }
})

t.test('refused URLs, with a reason naming the rule', async (t) => {
  for (const [url, fragment] of refused) {
    const check = checkWebhookUrl(url, strict)
    t.notOk(check.ok, `${url} refused`)
    if (!check.ok) t.match(check.reason, fragment, `${url}: ${check.reason}`)
  }
})

t.test('allowLoopback allows loopback only, over http or https', async (t) => {
  for (const url of [
    'http://127.0.0.1:3000/hook',
    'https://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://[::1]:8080/',
    'http://localhost:8080/',
    'https://localhost/',
    'http://api.localhost/',
  ]) {
    const check = checkWebhookUrl(url, loose)
    t.ok(check.ok, `${url} accepted with allowLoopback${check.ok ? '' : `, but: ${check.reason}`}`)
  }
  // Everything refused for another reason than plain loopback (embedded loopback included) stays refused.
  const plainLoopback = /^the host is a loopback (address|host name)$/
  const stillRefused = refused
    .filter(([url]) => {
      const check = checkWebhookUrl(url, strict)
      return !check.ok && !plainLoopback.test(check.reason)
    })
    .map(([url]) => url)
  t.ok(stillRefused.length >= 60, `${stillRefused.length} URLs`)
  t.ok(
    stillRefused.includes('https://[::ffff:127.0.0.1]/') &&
      stillRefused.includes('https://[64:ff9b::7f00:1]/'),
  )
  for (const url of stillRefused)
    t.notOk(checkWebhookUrl(url, loose).ok, `${url} still refused with allowLoopback`)
  t.notOk(checkWebhookUrl('http://example.com/', loose).ok, 'http to a public host is still refused')
  t.notOk(checkWebhookUrl('http://10.0.0.1/', loose).ok)
  t.notOk(checkWebhookUrl('https://[::ffff:127.0.0.1]/', loose).ok, 'mapped loopback is not plain loopback')
  t.notOk(checkWebhookUrl('http://user@127.0.0.1/', loose).ok, 'credentials are still refused')
})

t.test('the accepted URL is the parsed, normalised one', async (t) => {
  const check = checkWebhookUrl('http://0x7f.1:9000/x', loose)
  t.ok(check.ok)
  if (check.ok) t.equal(check.url.href, 'http://127.0.0.1:9000/x')
})

t.test('isForbiddenAddress judges resolved addresses', async (t) => {
  t.equal(isForbiddenAddress('93.184.216.34', strict), null)
  t.equal(isForbiddenAddress('2606:4700:4700::1111', strict), null)
  t.match(isForbiddenAddress('127.0.0.1', strict), 'loopback')
  t.equal(isForbiddenAddress('127.0.0.1', loose), null)
  t.equal(isForbiddenAddress('::1', loose), null)
  t.match(isForbiddenAddress('::ffff:127.0.0.1', loose), 'IPv4-mapped')
  t.match(isForbiddenAddress('10.1.2.3', loose), 'private')
  t.match(isForbiddenAddress('169.254.169.254', loose), 'link-local')
  t.match(isForbiddenAddress('fe80::1%eth0', strict), 'link-local')
  t.match(isForbiddenAddress('fd12:3456::1', strict), 'unique-local')
  t.match(isForbiddenAddress('example.com', strict), 'not an IP address')
  t.match(isForbiddenAddress('[::1]', strict), 'loopback', 'brackets are accepted')
})
