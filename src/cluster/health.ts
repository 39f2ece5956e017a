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

/** The polling helper lives with the operator's Kubernetes plumbing; re-exported for this folder's callers and the tests. */
export { waitFor } from '../kube/poll.js';
