/**
 * The SSRF matrix (issue 14): URLs the webhook guard accepts and refuses, shared by the registration tests
 * (url-guard.test.ts, the API's webhooks tests) and the delivery-time tests (delivery-guard.test.ts).
 */
export const accepted = [
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
  'https://xn--bcher-kva.ch/', // IDN (was xn--bcher-kva.example: .example is no public name)
  // added for issue 14
  'https://bücher.ch/', // IDN in Unicode
  'https://ｅｘａｍｐｌｅ.com/', // full-width letters map to example.com
  'https://exa%6dple.com/', // percent-encoded letters in a public name
  'https://example.com:1/', // any port on a public host
  'https://[2606:4700:4700::1111]:8443/',
  'https://:@example.com/', // empty userinfo is no credential
  'https://hooks.example.co.uk/', // a multi-label public suffix
  'https://api.xn--p1ai/', // an IDN top-level domain (.рф)
  'https://172.15.255.255/', // just below 172.16.0.0/12
  'https://172.32.0.1/', // just above it
  'https://100.63.255.255/', // just below 100.64.0.0/10
  'https://100.128.0.1/', // just above it
  'https://169.253.255.255/', // just below 169.254.0.0/16
  'https://127.0.0.1.nip.io/', // a public name: refused at delivery when it resolves to loopback
]

/** [url, a fragment of the reason] */
export const refused: Array<[string, string]> = [
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
  // added for issue 14: cluster-internal and private-network names
  ['https://kubernetes.default.svc/', 'cluster-internal'],
  ['https://kubernetes.default.svc.cluster.local/', 'cluster-internal'],
  ['https://KUBERNETES.DEFAULT.SVC./', 'cluster-internal'], // case and trailing dot
  ['https://kubernetes.default/', 'outside the public DNS'], // a search-domain name
  ['https://db.staging/', 'outside the public DNS'], // (.prod is a real gTLD)
  ['https://foo.k8s/', 'outside the public DNS'],
  ['https://redis.docker/', 'outside the public DNS'],
  ['https://api.internal/', 'cluster-internal'],
  ['https://db.corp/', 'cluster-internal'],
  ['https://nas.localdomain/', 'cluster-internal'],
  ['https://localhost.localdomain/', 'cluster-internal'],
  ['https://router.home.arpa/', 'cluster-internal'],
  ['https://printer.lan/', 'cluster-internal'],
  ['https://box.home/', 'cluster-internal'],
  ['https://wiki.intranet/', 'cluster-internal'],
  ['https://vault.service.consul/', 'cluster-internal'],
  ['https://app.test/', 'cluster-internal'],
  ['https://www.example/', 'cluster-internal'],
  ['https://xn--bcher-kva.example/', 'cluster-internal'],
  ['https://hooks.invalid/', 'cluster-internal'],
  ['https://x.alt/', 'cluster-internal'],
  ['https://1.0.0.127.in-addr.arpa/', 'infrastructure'],
  ['https://foo.onion/', 'Tor'],
  ['https://ip6-localhost/', 'single-label'],
  ['https://metadata.goog/', 'metadata'],
  ['https://metadata.azure.com/', 'metadata'],
  // Unicode dots and digits (IDNA maps them to ASCII before the address is judged)
  ['https://127。0。0。1/', 'loopback'], // U+3002 ideographic full stop
  ['https://127．0．0．1/', 'loopback'], // U+FF0E full-width full stop
  ['https://127｡0｡0｡1/', 'loopback'], // U+FF61 half-width ideographic full stop
  ['https://１０.０.０.１/', 'private'], // full-width digits
  ['https://①②⑦.0.0.1/', 'loopback'], // circled digits
  ['https://%6c%6f%63%61%6c%68%6f%73%74/', 'loopback'], // percent-encoded localhost
  ['https://ＬＯＣＡＬＨＯＳＴ/', 'loopback'], // full-width letters
  // more IPv4 spellings
  ['https://0x7f.0x0.0x0.0x1/', 'loopback'], // hex per part
  ['https://0177.1/', 'loopback'], // octal, short
  ['https://127.0.1/', 'loopback'], // three parts
  ['https://127.000.000.001/', 'loopback'], // zero-padded
  ['https://00000177.0.0.1/', 'loopback'], // long octal
  ['https://0x00007f.1/', 'loopback'], // long hex
  ['https://012.0.0.1/', 'private'], // octal 10.0.0.1
  ['https://0xA9.0xFE.0xA9.0xFE/', 'link-local'], // metadata, hex per part
  ['https://169.254.43518/', 'link-local'], // metadata, three parts
  ['https://0x0/', 'unspecified'],
  ['https://4294967295/', 'broadcast'], // the largest 32-bit number
  ['https://127.255.255.255/', 'loopback'],
  ['https://172.20.0.1/', 'private'], // Docker's default bridge range
  ['https://100.127.255.255/', 'CGNAT'],
  ['https://198.51.100.1/', 'reserved'], // TEST-NET-2
  ['https://203.0.113.1/', 'reserved'], // TEST-NET-3
  ['https://192.0.0.1/', 'reserved'], // IETF protocol assignments
  ['https://192.88.99.1/', 'reserved'], // 6to4 relay anycast
  ['https://255.255.255.254/', 'reserved'], // 240.0.0.0/4
  // trailing dots
  ['https://10.0.0.1./', 'private'],
  ['https://169.254.169.254./', 'link-local'],
  ['https://192.168.0.1./', 'private'],
  ['https://0x7f000001./', 'loopback'],
  ['https://localhost../', 'loopback'],
  ['https://[::1]./', 'valid'], // no dot after an IPv6 literal
  // more IPv6 forms
  ['https://[0::1]/', 'loopback'],
  ['https://[::0:1]/', 'loopback'],
  ['https://[::ffff:a9fe:a9fe]/', 'IPv4-mapped IPv6 address embedding a link-local'],
  ['https://[0:0:0:0:0:ffff:127.0.0.1]/', 'IPv4-mapped'],
  ['https://[::FFFF:7F00:0001]/', 'IPv4-mapped'],
  ['https://[::ffff:0.0.0.0]/', 'IPv4-mapped IPv6 address embedding an unspecified'],
  ['https://[::ffff:100.64.0.1]/', 'IPv4-mapped IPv6 address embedding a shared (CGNAT) address'],
  ['https://[::ffff:192.168.0.1]/', 'IPv4-mapped IPv6 address embedding a private'],
  ['https://[::169.254.169.254]/', 'IPv4-compatible'],
  ['https://[64:ff9b::169.254.169.254]/', 'NAT64 address (64:ff9b::/96) embedding a link-local'],
  ['https://[64:ff9b::0.0.0.0]/', 'NAT64'],
  ['https://[2002:a9fe:a9fe::]/', '6to4 address (2002::/16) embedding a link-local'],
  ['https://[2002:0a00:0001::]/', '6to4 address (2002::/16) embedding a private'],
  ['https://[2002::]/', '6to4'],
  ['https://[2001::1]/', 'Teredo'],
  ['https://[2001:10::1]/', 'special-purpose'], // ORCHID
  ['https://[fd00::]/', 'unique-local'],
  ['https://[ff05::1]/', 'multicast'],
  ['https://[0:0:0:0:0:0:0:0]/', 'unspecified'],
  ['https://[::1%25eth0]/', 'valid'], // zone ids are not allowed in URLs
  // odd ports change nothing
  ['https://127.0.0.1:0/', 'loopback'],
  ['https://127.0.0.1:65535/', 'loopback'],
  ['https://127.0.0.1:00443/', 'loopback'],
  ['https://169.254.169.254:80/', 'link-local'],
  ['https://10.0.0.1:22/', 'private'],
  ['https://[::1]:8443/', 'loopback'],
  ['https://[::]:80/', 'unspecified'],
  ['https://0.0.0.0:8080/', 'unspecified'],
  ['https://127.0.0.1:65536/', 'valid'],
  // userinfo, backslash and whitespace tricks
  ['https://evil@127.0.0.1/', 'credentials'],
  ['https://evil:@127.0.0.1/', 'credentials'],
  ['https://:@127.0.0.1/', 'loopback'], // empty userinfo: judged by its host
  ['https://example.com%2f@127.0.0.1/', 'credentials'],
  ['https://good.com%40127.0.0.1/', 'valid'],
  ['https://127.0.0.1\\@good.com/', 'loopback'], // the backslash ends the host
  ['https:\\\\127.0.0.1\\', 'loopback'], // backslashes for slashes
  ['https:/\\127.0.0.1/', 'loopback'],
  ['https:127.0.0.1/', 'loopback'], // no slashes at all
  ['https:///127.0.0.1/', 'loopback'], // three slashes
  [' https://127.0.0.1/', 'loopback'], // leading space
  ['https://12\t7.0.0.1/', 'loopback'], // a tab inside the host is dropped
  ['https://127.0.0.1\n/', 'loopback'], // a newline too
  ['https://localhost%00.example.com/', 'valid'], // NUL in the host
  ['https://[::ffff:127.0.0.1%5D/', 'valid'],
]
