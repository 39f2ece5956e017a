import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** Parses `:8081`, `127.0.0.1:8081` or `0` into host and port. */
export function parseAddr(addr: string, flag: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(addr) ?? (/^\d+$/.test(addr) ? ['', '', addr] : null);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag}: "${addr}" is not an address (use :PORT or HOST:PORT, e.g. :8081)`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

/**
 * Serves `/healthz` (the process is alive), `/readyz` (caches synced and
 * workers running) and, when a registry is given, `/metrics`. Returns the
 * server once it listens.
 */
export async function serveProbes(
  addr: { host: string; port: number },
  ready: () => boolean,
  registry?: Registry,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ok = ready();
      res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(ok ? 'ok\n' : 'caches not synced\n');
    } else if (path === '/metrics' && registry) {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, resolve);
  });
  return server;
}
