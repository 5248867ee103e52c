import { createSocket, type RemoteInfo } from 'node:dgram'
import { promises as dns } from 'node:dns'
import { once } from 'node:events'
import { dnsServerResolver, type HostResolver } from '@scheduler/webhooks'
import ipaddr from 'ipaddr.js'
import type { Test } from 'tap'

/** What the stub answers for one name: its A and AAAA records (a name not listed is NXDOMAIN). */
export interface StubRecords {
  A?: string[]
  AAAA?: string[]
}

const TYPE_A = 1
const TYPE_AAAA = 28
const NXDOMAIN = 3
const NOTIMP = 4

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP, RFC 1035 messages built by hand): answers A and AAAA
 * queries from `zone`, NXDOMAIN for names it does not know, no records for other types. `resolve` is a
 * HostResolver asking only this server, `queries` lists the names asked (lower case). Closed in teardown.
 */
export async function dnsStub(
  t: Test,
  zone: Record<string, StubRecords>,
): Promise<{ resolve: HostResolver; queries: string[]; port: number }> {
  const records = new Map(Object.entries(zone).map(([name, value]) => [name.toLowerCase(), value]))
  const queries: string[] = []
  const socket = createSocket('udp4')
  socket.on('message', (message: Buffer, peer: RemoteInfo) => {
    const answer = respond(message, records, queries)
    if (answer) socket.send(answer, peer.port, peer.address)
  })
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  t.teardown(() => socket.close())
  const { port } = socket.address()
  const resolver = new dns.Resolver({ timeout: 5_000, tries: 2 })
  resolver.setServers([`127.0.0.1:${port}`])
  return { resolve: dnsServerResolver(resolver), queries, port }
}

function respond(message: Buffer, records: Map<string, StubRecords>, queries: string[]): Buffer | null {
  if (message.length < 12) return null
  const id = message.readUInt16BE(0)
  const flags = message.readUInt16BE(2)
  const questions = message.readUInt16BE(4)
  // The question: labels up to the root label, then QTYPE and QCLASS.
  const labels: string[] = []
  let offset = 12
  while (offset < message.length) {
    const length = message[offset]!
    offset++
    if (length === 0) break
    labels.push(message.subarray(offset, offset + length).toString('latin1'))
    offset += length
  }
  if (questions !== 1 || offset + 4 > message.length) return header(id, flags, NOTIMP, 0, Buffer.alloc(0))
  const type = message.readUInt16BE(offset)
  const question = message.subarray(12, offset + 4)
  const name = labels.join('.').toLowerCase()
  queries.push(name)
  const entry = records.get(name)
  if (!entry) return header(id, flags, NXDOMAIN, 0, question)
  const addresses = type === TYPE_A ? (entry.A ?? []) : type === TYPE_AAAA ? (entry.AAAA ?? []) : []
  const answers = addresses.map((address) => {
    const data = Buffer.from(ipaddr.parse(address).toByteArray())
    const record = Buffer.alloc(12)
    record.writeUInt16BE(0xc00c, 0) // a pointer to the question's name
    record.writeUInt16BE(type, 2)
    record.writeUInt16BE(1, 4) // class IN
    record.writeUInt32BE(0, 6) // TTL 0: never cached
    record.writeUInt16BE(data.length, 10)
    return Buffer.concat([record, data])
  })
  return header(id, flags, 0, answers.length, Buffer.concat([question, ...answers]))
}

/** A response header (QR, AA, RA set; the query's opcode and RD kept) followed by `body`. */
function header(id: number, queryFlags: number, rcode: number, answers: number, body: Buffer): Buffer {
  const head = Buffer.alloc(12)
  head.writeUInt16BE(id, 0)
  head.writeUInt16BE(0x8000 | (queryFlags & 0x7900) | 0x0400 | 0x0080 | rcode, 2)
  head.writeUInt16BE(body.length > 0 ? 1 : 0, 4)
  head.writeUInt16BE(answers, 6)
  return Buffer.concat([head, body])
}
