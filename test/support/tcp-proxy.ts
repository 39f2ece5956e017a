import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** How the proxy treats traffic right now. */
export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/**
 * A loopback TCP proxy in front of the API server, for tests that need the
 * connection to fail: `resetAll()` cuts every open connection, `refuse`
 * closes new ones at once, `blackhole` accepts and forwards nothing (a silent
 * watch). TLS passes through untouched.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  mode: ProxyMode = 'pass';
  /** Connections accepted so far. */
  connections = 0;

  constructor(private readonly targetPort: number) {}

  /** Starts listening on a free loopback port and returns it. */
  async start(): Promise<number> {
    this.server = createServer((client) => {
      this.connections++;
      if (this.mode === 'refuse') {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const forward = (from: Socket, to: Socket) =>
        from.on('data', (d: Buffer) => {
          if (this.mode !== 'blackhole') to.write(d);
        });
      forward(client, upstream);
      forward(upstream, client);
      const close = () => {
        this.pairs.delete(pair);
        upstream.destroy();
        // In blackhole mode even a close must not reach the client: to it the
        // connection looks alive but silent, like a stalled middlebox.
        if (this.mode !== 'blackhole') client.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  /** Resets every open connection (both directions). */
  resetAll(): void {
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.resetAll();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
