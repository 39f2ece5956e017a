import { readFileSync, statSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * What the operator needs of a kubeconfig: where the API server is and how
 * to authenticate to it. client-node's KubeConfig has both methods, so it
 * fits wherever a KubeAccess is asked for (the test harness and the local
 * control plane hand those out); `LightKubeConfig` below is the operator's
 * own, for the credentials it meets in practice.
 */
export interface KubeAccess {
  /** The current context's cluster; null when the configuration names none. */
  getCurrentCluster(): { readonly name: string; readonly server: string } | null;
  /** Adds the TLS material and the Authorization header of the current user to request options. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

/** Where a pod finds its service account, as kubelet mounts it. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * How long a credential read from a file is trusted before it is read
 * again: service-account tokens and certificates are rotated in place
 * (kubelet renews a projected token at 80% of its life, an hour or more),
 * and client-node re-reads them on a similar schedule.
 */
const FILE_TTL_MS = 60_000;

/** A kubeconfig entry this loader does not handle; the caller falls back to client-node. */
export class UnsupportedKubeconfig extends Error {}

interface Cluster {
  name: string;
  server: string;
  caFile?: string;
  caData?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
}

interface User {
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  token?: string;
  tokenFile?: string;
}

/**
 * A kubeconfig's current cluster and user, for the credentials the operator
 * meets in practice: the in-cluster service account (a CA file and a token
 * file), and client certificates or bearer tokens, inline or in files.
 *
 * Why not client-node's KubeConfig: importing it loads the whole generated
 * Kubernetes API (every model and client, ~75 MiB of the operator's memory)
 * although the operator only needs these two methods; see docs/benchmarks.md
 * ("Scale"). Exec plugins, auth providers, basic auth, impersonation and
 * proxies are left to client-node: `loadKubeConfig` (config.ts) falls back
 * to it when `fromKubeconfig` throws UnsupportedKubeconfig.
 */
export class LightKubeConfig implements KubeAccess {
  private readonly files = new Map<string, { at: number; data: Buffer }>();

  constructor(
    private readonly cluster: Cluster,
    private readonly user: User,
    /** Only for tests: the clock that ages file contents. */
    private readonly now: () => number = Date.now,
  ) {}

  getCurrentCluster(): { name: string; server: string } {
    return { name: this.cluster.name, server: this.cluster.server };
  }

  /** As client-node's: CA, client certificate and key, TLS server name, insecure flag, bearer token. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const c = this.cluster;
    const u = this.user;
    if (c.skipTLSVerify) opts.rejectUnauthorized = false;
    if (c.tlsServerName) opts.servername = c.tlsServerName;
    const ca = this.material(c.caFile, c.caData);
    if (ca) opts.ca = ca;
    const cert = this.material(u.certFile, u.certData);
    if (cert) opts.cert = cert;
    const key = this.material(u.keyFile, u.keyData);
    if (key) opts.key = key;
    const token = u.token ?? (u.tokenFile ? this.read(u.tokenFile).toString('utf8').trim() : '');
    if (token) opts.headers = { ...opts.headers, Authorization: `Bearer ${token}` };
    // No agent: how connections are reused is the caller's choice
    // (kubeRequest keeps them alive, a watch has its own).
    return Promise.resolve();
  }

  /** A file's contents (re-read once FILE_TTL_MS has passed), else base64 data, else nothing. */
  private material(file: string | undefined, data: string | undefined): Buffer | undefined {
    if (file) return this.read(file);
    return data ? Buffer.from(data, 'base64') : undefined;
  }

  private read(file: string): Buffer {
    const now = this.now();
    const cached = this.files.get(file);
    if (cached && now - cached.at < FILE_TTL_MS) return cached.data;
    const data = readFileSync(file);
    this.files.set(file, { at: now, data });
    return data;
  }
}

/**
 * The in-cluster configuration, as kubectl and client-go build it: the
 * KUBERNETES_SERVICE_HOST/PORT environment kubelet sets, the mounted CA and
 * token. Undefined outside a pod.
 */
export function inClusterConfig(
  env: NodeJS.ProcessEnv = process.env,
  dir = SERVICE_ACCOUNT_DIR,
): LightKubeConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || statSync(join(dir, 'token'), { throwIfNoEntry: false }) === undefined) {
    return undefined;
  }
  return new LightKubeConfig(
    {
      name: 'inCluster',
      server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
      caFile: join(dir, 'ca.crt'),
      skipTLSVerify: false,
    },
    { tokenFile: join(dir, 'token') },
  );
}

/** The kubeconfig keys of a user entry this loader implements; any other key means client-node. */
const USER_KEYS = new Set([
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'token',
  'tokenFile',
]);
/** The same for a cluster entry. */
const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
  'extensions',
]);

type Named = { name?: unknown } & Record<string, unknown>;

function entry(list: unknown, name: string, what: string, file: string): Record<string, unknown> {
  const found = Array.isArray(list)
    ? (list as Named[]).find((e) => e && typeof e === 'object' && e.name === name)
    : undefined;
  const body = found?.[what];
  if (!body || typeof body !== 'object') {
    throw new Error(`${file}: the kubeconfig has no ${what} "${name}"`);
  }
  return body as Record<string, unknown>;
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new UnsupportedKubeconfig(`${key} is not a string`);
  return v;
}

/**
 * The current (or the given) context of a parsed kubeconfig file, when its
 * cluster and user use only what LightKubeConfig implements; throws
 * UnsupportedKubeconfig otherwise. `access` is undefined when the context
 * does not exist (`contexts` lists those that do). Relative file paths are
 * resolved from the kubeconfig's folder, as kubectl does.
 */
export function fromKubeconfig(
  doc: unknown,
  file: string,
  context?: string,
): { access?: LightKubeConfig; contexts: string[] } {
  if (!doc || typeof doc !== 'object') throw new UnsupportedKubeconfig('not a map');
  const d = doc as Record<string, unknown>;
  const contexts = Array.isArray(d.contexts)
    ? (d.contexts as Named[]).map((c) => c?.name).filter((n): n is string => typeof n === 'string')
    : [];
  const name = context ?? (typeof d['current-context'] === 'string' ? d['current-context'] : '');
  if (!name) throw new UnsupportedKubeconfig('no current context');
  if (!contexts.includes(name)) return { contexts };
  const ctx = entry(d.contexts, name, 'context', file);
  const clusterName = optionalString(ctx, 'cluster');
  const userName = optionalString(ctx, 'user');
  if (!clusterName) throw new UnsupportedKubeconfig('the context names no cluster');
  const c = entry(d.clusters, clusterName, 'cluster', file);
  const u = userName ? entry(d.users, userName, 'user', file) : {};
  for (const k of Object.keys(c)) {
    if (!CLUSTER_KEYS.has(k)) throw new UnsupportedKubeconfig(`cluster key ${k}`);
  }
  for (const k of Object.keys(u)) {
    if (!USER_KEYS.has(k)) throw new UnsupportedKubeconfig(`user key ${k}`);
  }
  const server = optionalString(c, 'server');
  if (!server) throw new UnsupportedKubeconfig('the cluster has no server');
  const root = dirname(file);
  const path = (p: string | undefined) => (p && !isAbsolute(p) ? join(root, p) : p);
  const skip = c['insecure-skip-tls-verify'];
  const tlsServerName = optionalString(c, 'tls-server-name');
  const caFile = path(optionalString(c, 'certificate-authority'));
  const caData = optionalString(c, 'certificate-authority-data');
  const certFile = path(optionalString(u, 'client-certificate'));
  const certData = optionalString(u, 'client-certificate-data');
  const keyFile = path(optionalString(u, 'client-key'));
  const keyData = optionalString(u, 'client-key-data');
  const token = optionalString(u, 'token');
  const tokenFile = path(optionalString(u, 'tokenFile'));
  return {
    access: new LightKubeConfig(
      {
        name: clusterName,
        server: server.replace(/\/$/, ''),
        skipTLSVerify: skip === true,
        ...(tlsServerName ? { tlsServerName } : {}),
        ...(caFile ? { caFile } : {}),
        ...(caData ? { caData } : {}),
      },
      {
        ...(certFile ? { certFile } : {}),
        ...(certData ? { certData } : {}),
        ...(keyFile ? { keyFile } : {}),
        ...(keyData ? { keyData } : {}),
        ...(token ? { token } : {}),
        ...(tokenFile ? { tokenFile } : {}),
      },
    ),
    contexts,
  };
}
