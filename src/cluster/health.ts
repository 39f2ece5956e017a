import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

/** TLS material for talking to a local API server as a client-certificate user. */
export interface TlsClient {
  ca: string;
  cert: string;
  key: string;
}

/** GETs a URL and resolves with status and body; never rejects (errors give status 0). */
export async function probe(
  url: string,
  tls?: TlsClient,
  timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
  return await new Promise((resolve) => {
    const u = new URL(url);
    const opts = {
      method: 'GET',
      timeout: timeoutMs,
      ...(tls
        ? { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
        : {}),
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

/**
 * Polls `check` every `intervalMs` until it returns true or `timeoutMs`
 * passes; `failFast` is asked each round and aborts the wait with its
 * message (used to stop waiting for a process that has already died).
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  failFast?: () => string | undefined,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const fatal = failFast?.();
    if (fatal) throw new Error(`${what}: ${fatal}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
