import { connect } from 'node:net'
import type { Answer } from './answer-checks.js'

/**
 * Sends `text` as it is on a new connection to 127.0.0.1:`port` and parses what comes back, up to the
 * connection's close or the end of the first answer's `Content-Length` (send `Connection: close` for an answer without one), as one HTTP/1.1 answer. For what
 * `app.inject()` cannot send: requests Node's own HTTP parser refuses before Fastify sees them.
 */
export function rawRequest(port: number, text: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = Buffer.alloc(0)
    let done = false
    const finish = () => {
      if (done) return
      const answer = parse(received)
      if (answer === null) return
      done = true
      socket.destroy()
      resolve(answer)
    }
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      finish()
    })
    socket.on('error', () => {
      // A reset after the answer: what was read is what counts
    })
    socket.on('close', () => {
      finish()
      if (!done)
        reject(
          new Error(`no complete HTTP answer: ${JSON.stringify(received.toString('latin1').slice(0, 200))}`),
        )
    })
    // Not `end()`: a half-closed connection may be closed by the server before a slow answer is written
    socket.on('connect', () => socket.write(text))
  })
}

function parse(received: Buffer): Answer | null {
  const end = received.indexOf('\r\n\r\n')
  if (end < 0) return null
  const [statusLine = '', ...lines] = received.subarray(0, end).toString('latin1').split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? Number.NaN)
  const body = received.subarray(end + 4)
  if (Number.isFinite(length) && body.length < length) return null
  return { statusCode: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') }
}
