import type { KubeAccess } from './access.js';
import { ApiException } from './api-exception.js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';

/** One event of a watch stream, as the API server sends it. */
export interface WatchEvent {
  /** ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. */
  type: string;
  /** The object; for ERROR, a `Status` (with `code` 410 when the resourceVersion is too old). */
  object: {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string; resourceVersion?: string };
    code?: number;
    reason?: string;
    message?: string;
  };
}

/** A watch request in flight; `abort()` ends it at any stage, and `onDone` is not called then. */
export interface WatchHandle {
  abort(): void;
  /** True once the server has answered 200: the stream is open. */
  readonly open: boolean;
}

/** How long a watch may take to answer with its headers (connect, TLS, admission). */
const HEADERS_TIMEOUT_MS = 30_000;

/**
 * Opens a watch (`?watch=true`) on `path` with the kubeconfig's credentials
 * and calls `onEvent` for each line of the stream. `onDone` is called once:
 * with undefined when the server ends the stream, with client-node's
 * ApiException when it answers anything but 200 (so kube/errors.ts reads a
 * 410 or 404 like any other), or with the network error.
 *
 * Why not client-node's Watch: it hands out its abort handle only once the
 * server has answered, so a request stuck before the answer (a stalled
 * connection) could never be cancelled, and it has no timeout for that
 * stage either. Each watch has a connection of its own (kubeRequest pools
 * its connections; a watch would hold a pooled one for minutes).
 */
export function openWatch(
  kc: KubeAccess,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (e: WatchEvent) => void,
  onDone: (err?: unknown) => void,
): WatchHandle {
  let finished = false;
  const finish = (err?: unknown) => {
    if (finished) return;
    finished = true;
    onDone(err);
  };
  let req: ReturnType<typeof httpsRequest> | undefined;
  let aborted = false;
  let open = false;
  const handle: WatchHandle = {
    abort: () => {
      aborted = true;
      finished = true;
      req?.destroy();
    },
    get open() {
      return open && !finished;
    },
  };
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    queueMicrotask(() => finish(new Error('kubeconfig has no current cluster')));
    return handle;
  }
  const url = new URL(cluster.server.replace(/\/$/, '') + path);
  url.searchParams.set('watch', 'true');
  for (const [k, v] of Object.entries(query))
    if (v !== undefined) url.searchParams.set(k, String(v));
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  kc.applyToHTTPSOptions(opts).then(
    () => {
      if (aborted) return;
      // A connection of its own: a watch holds it for minutes.
      opts.agent ??= false;
      const r = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, opts, (res) => {
        clearTimeout(headersTimer);
        res.setEncoding('utf8');
        if (res.statusCode !== 200) {
          let body = '';
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers))
              if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
            finish(
              new ApiException(
                res.statusCode ?? 0,
                `watch ${path} failed with ${res.statusCode}`,
                body,
                headers,
              ),
            );
          });
          res.on('error', finish);
          return;
        }
        open = true;
        let pending = '';
        res.on('data', (chunk: string) => {
          pending += chunk;
          let nl: number;
          while (!finished && (nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (!line) continue;
            let event: WatchEvent;
            try {
              event = JSON.parse(line) as WatchEvent;
            } catch {
              continue; // not an event; the next line may be
            }
            onEvent(event);
          }
        });
        res.on('end', () => finish());
        res.on('error', finish);
        res.on('close', () => finish());
      });
      req = r;
      const headersTimer = setTimeout(
        () => r.destroy(new Error(`watch ${path}: no answer within ${HEADERS_TIMEOUT_MS / 1000}s`)),
        HEADERS_TIMEOUT_MS,
      );
      headersTimer.unref();
      r.on('error', (err) => {
        clearTimeout(headersTimer);
        finish(err);
      });
      r.end();
    },
    (err: unknown) => finish(err),
  );
  return handle;
}
