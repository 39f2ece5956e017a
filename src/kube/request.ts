import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';

/** A raw JSON answer of the API server. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Prepared {
  opts: RequestOptions;
  expires: number;
}

const prepared = new WeakMap<KubeConfig, Prepared>();

/** How long credentials are reused before being read again (tokens rotate). */
const REFRESH_MS = 60_000;

/**
 * Connection options for a kubeconfig, with one keep-alive agent, reused for
 * a minute. client-node's applyToHTTPSOptions builds a new agent on every
 * call, so without this every request paid for a fresh TLS handshake (the
 * converge benchmark found it: ~5 ms of CPU per request, ten times the rest).
 */
async function connectionOptions(kc: KubeConfig): Promise<RequestOptions> {
  const now = Date.now();
  const cached = prepared.get(kc);
  if (cached && cached.expires > now) return cached.opts;
  const opts: RequestOptions = { headers: { Accept: 'application/json' } };
  await kc.applyToHTTPSOptions(opts);
  // A proxy needs client-node's own agent; otherwise ours keeps connections open.
  if (!kc.getCurrentCluster()?.proxyUrl && kc.getCurrentCluster()?.server.startsWith('https:')) {
    opts.agent = new Agent({
      keepAlive: true,
      maxSockets: 16,
      ...(opts.ca ? { ca: opts.ca } : {}),
      ...(opts.cert ? { cert: opts.cert } : {}),
      ...(opts.key ? { key: opts.key } : {}),
      ...(opts.rejectUnauthorized !== undefined
        ? { rejectUnauthorized: opts.rejectUnauthorized }
        : {}),
      ...(opts.servername ? { servername: opts.servername } : {}),
    });
    const old = cached?.opts.agent;
    // Let requests still using the old agent finish, then close its sockets.
    if (old instanceof Agent) setTimeout(() => old.destroy(), 2 * REFRESH_MS).unref();
  }
  prepared.set(kc, { opts, expires: now + REFRESH_MS });
  return opts;
}

/**
 * Sends one request to the API server with the kubeconfig's credentials and
 * returns the raw JSON text; non-2xx answers throw client-node's
 * ApiException (so kube/errors.ts can read them).
 *
 * Why not client-node's typed clients: they (de)serialize through their own
 * models, which drops fields the model spells differently — notably the
 * `x-kubernetes-*` keys of CRD schemas — and turns timestamps into Date
 * objects. The operator applies Istio's CRDs and compares live objects with
 * rendered ones, so it needs the wire JSON, byte for byte.
 */
export async function kubeRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<RawResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  const base = await connectionOptions(kc);
  const opts: RequestOptions = { ...base, method, headers: { ...base.headers } };
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  if (payload !== undefined) {
    opts.headers = {
      ...opts.headers,
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(payload),
    };
  }
  const res = await new Promise<RawResponse>((resolve, reject) => {
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
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
  if (res.status < 200 || res.status > 299) {
    throw new ApiException(
      res.status,
      `${method} ${path} failed with ${res.status}`,
      res.body,
      res.headers,
    );
  }
  return res;
}
