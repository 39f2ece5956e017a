import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/**
 * Keeps the local control plane's "cluster" traffic on this machine.
 *
 * kube-apiserver calls admission webhooks (and CRD conversion webhooks,
 * aggregated APIs, kubelets) at addresses inside the cluster: a webhook that
 * names a Service is dialled at the Service's ClusterIP, e.g. 10.0.0.137:443.
 * A real cluster's network answers there; on a laptop or a CI machine nothing
 * owns that address and the connection leaves through the default route —
 * carrying a pod spec or a VirtualService to whatever host answers. The API
 * server's egress selector sends all such traffic through an HTTP CONNECT
 * proxy instead; this is that proxy. It dials only loopback: a Service with a
 * registered local backend (a process standing in for its pods, such as a
 * local istiod) or a loopback address named directly. Everything else is
 * refused at once with a reason the API server passes on to the client, so a
 * pod creation fails in milliseconds with a message that says why, instead
 * of timing out.
 */

/** The files of the egress setup inside a control-plane folder. */
export const EGRESS_FILES = {
  /** `--egress-selector-config-file` of kube-apiserver. */
  config: 'egress-selector.yaml',
  /** Service → loopback port registrations, see {@link registerLocalBackend}. */
  backends: 'egress-backends.json',
  /** The proxy's Unix socket. */
  socket: 'egress.sock',
} as const;

/**
 * The egress selector configuration. What kube-apiserver 1.34 sends where
 * (read in k8s.io/apiserver and k8s.io/kubernetes v1.34.4, and exercised by
 * test/integration/cluster/egress.test.ts):
 * - `cluster`: admission and conversion webhooks that name a Service, the
 *   aggregator's API services, kubelet connections (logs, exec) and the
 *   `proxy` subresources;
 * - `controlplane`: admission webhooks given by `url:`, and the audit,
 *   authentication, authorization and tracing webhooks;
 * - `etcd`: storage.
 * Both `cluster` and `controlplane` go through our proxy (it lets loopback
 * through, so a webhook at `https://127.0.0.1:…` still works); `etcd` stays
 * direct, it is on loopback already.
 */
export function egressSelectorConfig(socketPath: string): string {
  const selection = (name: string) => [
    `  - name: ${name}`,
    '    connection:',
    '      proxyProtocol: HTTPConnect',
    '      transport:',
    '        uds:',
    `          udsName: ${JSON.stringify(socketPath)}`,
  ];
  return [
    'apiVersion: apiserver.k8s.io/v1beta1',
    'kind: EgressSelectorConfiguration',
    'egressSelections:',
    ...selection('cluster'),
    ...selection('controlplane'),
    '',
  ].join('\n');
}

/** A Service port, as the key of a local backend: `namespace/name:port`. */
export interface ServicePortRef {
  namespace: string;
  name: string;
  port: number;
}

/** `namespace/name:port`. */
function backendKey(ref: ServicePortRef): string {
  return `${ref.namespace}/${ref.name}:${ref.port}`;
}

/** Registered backends: `namespace/name:port` → a port on 127.0.0.1. */
export type Backends = Record<string, number>;

/** Reads the registered backends of the control plane in `dir` ({} when none). */
export function readBackends(dir: string): Backends {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, EGRESS_FILES.backends), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Backends) : {};
  } catch {
    return {};
  }
}

async function writeBackends(dir: string, backends: Backends): Promise<void> {
  const path = join(dir, EGRESS_FILES.backends);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(backends, null, 2) + '\n');
  await rename(tmp, path);
}

/**
 * Makes the API server's calls to a Service port reach `localPort` on
 * 127.0.0.1: how a local process (e.g. istiod run from its Go module) stands
 * in for the Service's pods. The proxy reads the registrations on every
 * connection, so this takes effect at once.
 */
export async function registerLocalBackend(
  dir: string,
  ref: ServicePortRef,
  localPort: number,
): Promise<void> {
  await writeBackends(dir, { ...readBackends(dir), [backendKey(ref)]: localPort });
}

/** Removes a registration made by {@link registerLocalBackend}. */
export async function unregisterLocalBackend(dir: string, ref: ServicePortRef): Promise<void> {
  const backends = readBackends(dir);
  delete backends[backendKey(ref)];
  await writeBackends(dir, backends);
}

/** The parts of a Service the proxy needs. */
export interface ServiceInfo {
  namespace: string;
  name: string;
  clusterIPs: string[];
  ports: number[];
}

/** What to do with one CONNECT. */
export type Route =
  { dial: { host: string; port: number }; service?: string } | { refuse: string; service?: string };

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost']);

/** True for 127.0.0.0/8, ::1 and the names that mean them. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(h)) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1' || h === '::ffff:127.0.0.1';
}

/** `name.namespace.svc[.cluster.local]` → its parts; undefined for other names. */
function serviceDnsName(host: string): { namespace: string; name: string } | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?$/.exec(host.toLowerCase());
  return m ? { name: m[1]!, namespace: m[2]! } : undefined;
}

/**
 * Decides one CONNECT target. Pure, so every case is unit-tested:
 * loopback is dialled as named; a Service (by ClusterIP or DNS name) with a
 * registered backend is dialled at that loopback port; anything else is
 * refused with a reason that names the target and what would make it work.
 */
export function route(
  host: string,
  port: number,
  services: readonly ServiceInfo[],
  backends: Backends,
): Route {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isLoopback(bare)) return { dial: { host: bare, port } };
  const byName = serviceDnsName(bare);
  const svc = byName
    ? services.find((s) => s.namespace === byName.namespace && s.name === byName.name)
    : services.find((s) => s.clusterIPs.includes(bare));
  if (!svc) {
    return {
      refuse:
        `${host}:${port} is not on this machine and is no Service of the local control plane; ` +
        'its API server reaches only loopback and Services that have a local backend',
    };
  }
  const service = `${svc.namespace}/${svc.name}`;
  if (!svc.ports.includes(port)) {
    return { service, refuse: `Service ${service} has no port ${port}` };
  }
  const local = backends[backendKey({ namespace: svc.namespace, name: svc.name, port })];
  if (local === undefined) {
    return {
      service,
      refuse:
        `Service ${service} port ${port} has no local backend: the local control plane runs ` +
        'no pods (kwok only simulates them), so nothing serves it',
    };
  }
  return { service, dial: { host: '127.0.0.1', port: local } };
}

/** Options for {@link startEgressProxy}. */
export interface EgressProxyOptions {
  /** Control-plane folder: backends are read from it on every connection. */
  dir: string;
  /** Unix socket to listen on. */
  socket: string;
  /** Lists the cluster's Services (called at most once a second, and on a miss). */
  listServices: () => Promise<ServiceInfo[]>;
  /** One line per decision, for the proxy's log. */
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * Starts the CONNECT proxy on a Unix socket. Returns the listening server;
 * close it to stop. Every request other than CONNECT is answered 405.
 */
export async function startEgressProxy(opts: EgressProxyOptions): Promise<Server> {
  const log = opts.log ?? (() => {});
  let cache: { at: number; services: ServiceInfo[] } | undefined;
  const services = async (fresh: boolean): Promise<ServiceInfo[]> => {
    if (!fresh && cache && Date.now() - cache.at < 1000) return cache.services;
    cache = { at: Date.now(), services: await opts.listServices() };
    return cache.services;
  };

  const decide = async (host: string, port: number): Promise<Route> => {
    const backends = readBackends(opts.dir);
    if (isLoopback(host)) return route(host, port, [], backends);
    const first = route(host, port, await services(false), backends);
    if ('dial' in first || first.service) return first;
    // A Service created within the last second: look once more.
    return route(host, port, await services(true), backends);
  };

  const refuse = (client: Duplex, target: string, reason: string, code = 503, service?: string) => {
    log({ target, ...(service ? { service } : {}), decision: 'refused', reason });
    // The API server quotes the status line in its error, which kubectl shows.
    client.end(`HTTP/1.1 ${code} ${reason.replace(/[\r\n]/g, ' ')}\r\n\r\n`);
  };

  const server = createServer((req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('only CONNECT is served here\n');
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => {});
    const target = req.url ?? '';
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target);
    if (!m) return refuse(client, target, `cannot parse CONNECT target "${target}"`, 400);
    const host = m[1]!;
    const port = Number(m[2]);
    decide(host, port).then(
      (r) => {
        if ('refuse' in r) return refuse(client, target, r.refuse, 503, r.service);
        const upstream: Socket = connect(r.dial.port, r.dial.host);
        let tunnelled = false;
        upstream.once('connect', () => {
          tunnelled = true;
          log({ target, service: r.service, decision: 'dialled', local: r.dial });
          client.write('HTTP/1.1 200 Connection established\r\n\r\n');
          if (head.length) upstream.write(head);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        upstream.once('error', (err) => {
          if (!tunnelled) {
            refuse(
              client,
              target,
              `local backend 127.0.0.1:${r.dial.port} of ${r.service ?? target} refused: ${err.message}`,
              502,
              r.service,
            );
          } else {
            client.destroy();
          }
        });
        client.once('close', () => upstream.destroy());
      },
      (err: unknown) =>
        refuse(client, target, `cannot list Services: ${(err as Error).message}`, 502),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** TLS client material and address of the API server, for {@link listServicesOf}. */
export interface ApiServerAccess {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

/**
 * Lists every Service's ClusterIPs and ports with a client certificate. A
 * plain HTTPS GET: the proxy runs as its own small process and needs nothing
 * more of a Kubernetes client.
 */
export function listServicesOf(access: ApiServerAccess): () => Promise<ServiceInfo[]> {
  const tls = {
    ca: readFileSync(access.ca),
    cert: readFileSync(access.cert),
    key: readFileSync(access.key),
  };
  return async () =>
    await new Promise<ServiceInfo[]>((resolve, reject) => {
      const req = httpsRequest(
        new URL('/api/v1/services', access.server),
        { ...tls, timeout: 5000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => {
            if (res.statusCode !== 200) {
              reject(new Error(`GET /api/v1/services: HTTP ${res.statusCode}`));
              return;
            }
            try {
              resolve(parseServiceList(body));
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out after 5 s')));
      req.on('error', reject);
      req.end();
    });
}

interface ServiceListJson {
  items?: {
    metadata?: { namespace?: string; name?: string };
    spec?: { clusterIP?: string; clusterIPs?: string[]; ports?: { port?: number }[] };
  }[];
}

/** The Services of a `ServiceList` body. */
export function parseServiceList(body: string): ServiceInfo[] {
  const list = JSON.parse(body) as ServiceListJson;
  return (list.items ?? []).map((s) => ({
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    clusterIPs: s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : []),
    ports: (s.spec?.ports ?? []).map((p) => p.port ?? 0),
  }));
}
