import { accepted, refused } from '@scheduler/test-helpers/ssrf-cases'
import t from 'tap'
import { checkWebhookUrl, isForbiddenAddress } from '../src/index.js'

const strict = { allowLoopback: false }
const loose = { allowLoopback: true }

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
  // how inet_ntop prints IPv4-compatible addresses (ipaddr.js alone would read them as IPv4-mapped)
  t.match(isForbiddenAddress('::10.0.0.1', strict), 'IPv4-compatible')
  t.match(isForbiddenAddress('::127.0.0.1', loose), 'IPv4-compatible')
  t.equal(isForbiddenAddress('::8.8.8.8', strict), null)
})
