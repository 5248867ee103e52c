import net from 'node:net'

interface TestLike {
  teardown: (fn: () => unknown) => void
}

/**
 * A real TCP hop to a service (PostgreSQL, Redis) that a test can cut and restore, to see what the
 * service does while a dependency is away. Nothing is mocked: the bytes go to the real server.
 */
export async function tcpProxy(t: TestLike, upstream: { host: string; port: number }) {
  const sockets = new Set<net.Socket>()
  const pairs = new Set<{ client: net.Socket; target: net.Socket }>()
  let stalled = false
  const track = (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  }
  const server = net.createServer((client) => {
    track(client)
    // A stalled proxy accepts the connection and never answers.
    if (stalled) return
    const target = net.connect(upstream)
    track(target)
    const pair = { client, target }
    pairs.add(pair)
    client.on('close', () => pairs.delete(pair))
    client.pipe(target).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  let listening = true

  async function cut(): Promise<void> {
    if (!listening) return
    listening = false
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    })
    stalled = false
  }
  t.teardown(cut)

  return {
    port,
    /** `url` with its host and port replaced by the proxy's. */
    via(url: string): string {
      const proxied = new URL(url)
      proxied.host = `127.0.0.1:${port}`
      return proxied.toString()
    },
    cut,
    /**
     * A server that stops answering without closing anything (a half-open connection, a hung host):
     * connections stay open, bytes in either direction are held, new connections are accepted and
     * never answered. Ends with `cut` (in the teardown at the latest).
     */
    stall(): void {
      stalled = true
      for (const { client, target } of pairs) {
        client.unpipe(target)
        target.unpipe(client)
        client.pause()
        target.pause()
      }
    },
    async restore(): Promise<void> {
      if (listening) return
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
      listening = true
    },
  }
}

export type TcpProxy = Awaited<ReturnType<typeof tcpProxy>>
