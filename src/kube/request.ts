import type { KubeAccess } from './access.js';
import { ApiException } from './api-exception.js';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';

/** A raw JSON answer of the API server. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** How throttling answers are handled; see {@link kubeRequest}. Tests may lower them. */
export const throttling = {
  /** Attempts of one request the server keeps throttling (client-go's default is 10 too). */
  maxAttempts: 10,
  /**
   * The longest Retry-After a request waits out in place. A longer one fails
   * the request at once (the caller's backoff takes over), but the wait is
   * still honoured: the same request is held until it has passed.
   */
  maxInlineWaitMs: 60_000,
};
/** When the server answers 429 without Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/**
 * Connections kept alive between requests, when the credentials leave the
 * choice to us (the operator's own kubeconfig loader does; client-node's
 * KubeConfig sets an agent of its own, one per request). A TLS handshake
 * with a client certificate per request was about a third of the
 * operator's CPU (docs/benchmarks.md, converge). Node keys pooled
 * connections by server and TLS options, so credentials never mix. Idle
 * connections close after 30 s and do not keep the process alive.
 */
const POOL_OPTIONS = {
  keepAlive: true,
  maxSockets: 32,
  timeout: 30_000,
  scheduling: 'lifo',
} as const;
const pools = { 'https:': new HttpsAgent(POOL_OPTIONS), 'http:': new HttpAgent(POOL_OPTIONS) };

/** Methods sent again when a kept-alive connection turns out closed: they may safely arrive twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);

/** `server method path` → when the server allows that request again (epoch ms). */
const notBefore = new Map<string, number>();

/**
 * How long the server asked us to wait, in ms: on 429 always (Retry-After
 * header, else the Status body's `details.retryAfterSeconds`, else 1 s), on
 * a 5xx only when it sent Retry-After. Undefined: not a throttling answer.
 */
export function retryAfterMs(
  status: number,
  headers: Record<string, string>,
  body: string,
  now = Date.now(),
): number | undefined {
  if (status !== 429 && !(status >= 500 && headers['retry-after'] !== undefined)) return undefined;
  const header = headers['retry-after']?.trim();
  if (header) {
    if (/^\d+$/.test(header)) return Number(header) * 1000;
    const at = Date.parse(header); // the HTTP-date form
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  try {
    const seconds = (JSON.parse(body) as { details?: { retryAfterSeconds?: unknown } }).details
      ?.retryAfterSeconds;
    if (typeof seconds === 'number' && seconds >= 0) return seconds * 1000;
  } catch {
    // not a Status body
  }
  return status === 429 ? DEFAULT_RETRY_AFTER_MS : undefined;
}

/**
 * Sends one request to the API server with the kubeconfig's credentials and
 * returns the raw JSON text; non-2xx answers throw client-node's
 * ApiException (so kube/errors.ts can read them).
 *
 * Throttling is honoured here, once for every caller: a 429 (or a 5xx with
 * Retry-After) is retried after the delay the server asked for, up to 10
 * attempts, and until that delay has passed the same request (method and
 * path) is held back even when a caller retries it on its own — so no
 * request goes out again before its Retry-After, whoever sends it.
 *
 * Why not client-node's typed clients: they (de)serialize through their own
 * models, which drops fields the model spells differently — notably the
 * `x-kubernetes-*` keys of CRD schemas — and turns timestamps into Date
 * objects. The operator applies Istio's CRDs and compares live objects with
 * rendered ones, so it needs the wire JSON, byte for byte.
 */
export async function kubeRequest(
  kc: KubeAccess,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<RawResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const key = `${cluster.server} ${method} ${path.split('?')[0]}`;
  for (let attempt = 1; ; attempt++) {
    const until = notBefore.get(key);
    if (until !== undefined) {
      const wait = until - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (notBefore.get(key) === until) notBefore.delete(key);
    }
    const res = await send(kc, cluster.server, method, path, body, contentType);
    if (res.status >= 200 && res.status <= 299) return res;
    const wait = retryAfterMs(res.status, res.headers, res.body);
    if (wait !== undefined) {
      notBefore.set(key, Math.max(notBefore.get(key) ?? 0, Date.now() + wait));
      if (attempt < throttling.maxAttempts && wait <= throttling.maxInlineWaitMs) continue;
    }
    throw new ApiException(
      res.status,
      `${method} ${path} failed with ${res.status}`,
      res.body,
      res.headers,
    );
  }
}

async function send(
  kc: KubeAccess,
  server: string,
  method: string,
  path: string,
  body: unknown,
  contentType: string,
): Promise<RawResponse> {
  const url = new URL(server.replace(/\/$/, '') + path);
  const opts: RequestOptions = {
    method,
    headers: { Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(opts);
  opts.agent ??= url.protocol === 'https:' ? pools['https:'] : pools['http:'];
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined) {
    opts.headers = {
      ...opts.headers,
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(payload),
    };
  }
  return await exchange(url, opts, method, path, payload);
}

/**
 * One request and its answer. A server (restarted, or closing idle
 * connections) may close a kept-alive connection just as a request goes out
 * on it; such a request is sent once more on a new connection when it may
 * arrive twice ({@link IDEMPOTENT}), as Go's HTTP client does.
 */
function exchange(
  url: URL,
  opts: RequestOptions,
  method: string,
  path: string,
  payload: string | undefined,
  retried = false,
): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('error', reject);
      r.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(r.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({
          status: r.statusCode ?? 0,
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no answer within 60s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale =
        req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !retried;
      if (stale && IDEMPOTENT.has(method)) {
        // On a new connection: the pool may hold more of the closed ones.
        resolve(exchange(url, { ...opts, agent: false }, method, path, payload, true));
      } else reject(err);
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
