import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

/** A raw JSON answer of the API server. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
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
  const opts: RequestOptions = {
    method,
    headers: { Accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(opts);
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
