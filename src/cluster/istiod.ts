import type * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import yaml from 'js-yaml';
import { istiodName } from '../render/names.js';
import { kubeRequest } from '../kube/request.js';
import { isNotFound } from '../kube/errors.js';
import { binaryVersion, ensureBinaries, type BinaryName, type Progress } from './binaries.js';
import { registerLocalBackend, unregisterLocalBackend, type ServicePortRef } from './egress.js';
import { probe, waitFor } from './health.js';
import {
  istiodReleaseOf,
  LISTENER_FLAGS,
  localArgs,
  pilotDiscoveryNameOf,
  localEnv,
  volumeContent,
  type IstiodRelease,
  type Listener,
  type LocalPorts,
  type VolumeSources,
} from './istiod-pod.js';
import { freePorts } from './ports.js';
import {
  isAlive,
  killNow,
  logTail,
  startProcess,
  stopProcess,
  type ProcessRecord,
} from './process.js';

/**
 * The real istiod (pilot-discovery of the Deployment's Istio line, built from
 * the pinned Go module: 1.27, ~1.30.4 or ~1.31.0) run as a local process in
 * place of the pods of an installed IstioOperator's istiod Deployment. The
 * control plane's nodes are kwok fakes, so nothing else would ever consume
 * what the operator renders for istiod; this runs it fed only with what the
 * operator applied:
 *
 * - the container's args and env from the live Deployment, with only the
 *   listen addresses (loopback, a free port each) and the downward API
 *   (pod name, IPs) made local — see istiod-pod.ts;
 * - the Deployment's volumes laid out under a folder of its own, which is
 *   the process's working directory: istiod's file paths are relative
 *   (`./var/run/secrets/…`, `./etc/cacerts`), so `<root>/<mountPath>` is
 *   where a pod would have them. Istio 1.27–1.31 mount no mesh or injector
 *   ConfigMap, so istiod reads `istio[-rev]` and
 *   `istio-sidecar-injector[-rev]` from the API server itself, as in a pod;
 * - the istiod ServiceAccount's own token (TokenRequest) where the kubelet
 *   would put it, with a kubeconfig pointing at it, so every call istiod
 *   makes is checked against the RBAC the operator rendered.
 *
 * The API server reaches istiod's webhooks through the rendered Service and
 * webhook configurations, unedited: the egress proxy (egress.ts) maps each
 * port of the istiod Service to this process.
 */

/** Options for {@link startLocalIstiod}. */
export interface LocalIstiodOptions {
  /** Admin access: reads the Deployment, ConfigMaps and Secrets, requests the token. */
  kubeConfig: k8s.KubeConfig;
  /** The local control plane's folder: backends are registered there, logs go to its `logs/`. */
  controlPlaneDir: string;
  /** istiod's namespace (the IstioOperator's `spec.namespace`). */
  namespace: string;
  /** The control plane's revision; '' (default) for the default revision. */
  revision?: string;
  /**
   * pilot-discovery to run. Default: the one of the Deployment's Istio line
   * ({@link istiodReleaseOf}: its `operator.istio.io/version` label, else its
   * image tag), built from its wrapper module on first use (1.27:
   * tools/istiod; 1.30, 1.31: tools/istio-1.30, tools/istio-1.31). A line with
   * none (1.28, 1.29) is an error naming it, raised before anything starts.
   */
  binary?: string;
  onProgress?: Progress;
  /** How long to wait for `/ready`. Default 120 s (two contended cores). */
  readyTimeoutMs?: number;
}

/** The pilot-discovery a local istiod runs: its path, and for one of ours its name and the version its build stamps (`1.31.0`). */
export interface LocalIstiodBinary {
  path: string;
  name?: BinaryName;
  version?: string;
}

/** A running local istiod. */
export interface LocalIstiod {
  namespace: string;
  /** The Deployment it stands in for: `istiod[-<rev>]`. */
  name: string;
  revision: string;
  /**
   * The Istio release the Deployment runs (from its label or image tag), and
   * so the line whose pilot-discovery was chosen. After an in-place upgrade
   * the live Deployment names another version: {@link restart} then runs the
   * new line's pilot-discovery.
   */
  release: IstiodRelease | undefined;
  binary: LocalIstiodBinary;
  pid: number;
  /** Its stdout and stderr. */
  log: string;
  /** Its working directory, holding the Deployment's volumes. */
  root: string;
  ports: LocalPorts;
  /** `http://127.0.0.1:<port>/ready`, the Deployment's readiness probe. */
  readyUrl: string;
  /** Seconds from start to ready. */
  readySeconds: number;
  /** What was not taken from the Deployment as is, and why. */
  notes: string[];
  /** Unregisters its Service ports, stops it (TERM, then KILL) and removes its folder. */
  stop(): Promise<void>;
  /**
   * Stops it and starts the Deployment's istiod again with the same options,
   * re-reading the Deployment: after an in-place upgrade, the new line's
   * pilot-discovery (unless the options named a binary). Returns the new handle.
   */
  restart(): Promise<LocalIstiod>;
  /** Kills it at once; for synchronous exit handlers. */
  killNow(): void;
}

/** Where local istiods keep their folders inside a control-plane folder. */
export const ISTIOD_DIR = 'istiod';
const RECORD = 'process.json';
/** Lifetime of the tokens handed to istiod; a pod's are renewed by the kubelet, these are not. */
const TOKEN_SECONDS = 24 * 3600;
const SA_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';

interface Api {
  get<T>(path: string): Promise<T | undefined>;
  post<T>(path: string, body: unknown): Promise<T>;
}

function api(kc: k8s.KubeConfig): Api {
  return {
    get: async <T>(path: string) => {
      try {
        return JSON.parse((await kubeRequest(kc, 'GET', path)).body) as T;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    post: async <T>(path: string, body: unknown) =>
      JSON.parse((await kubeRequest(kc, 'POST', path, body)).body) as T,
  };
}

const enc = encodeURIComponent;

function sources(a: Api, namespace: string, serviceAccount: string): VolumeSources {
  return {
    configMap: async (name) => {
      const cm = await a.get<k8s.V1ConfigMap>(
        `/api/v1/namespaces/${enc(namespace)}/configmaps/${enc(name)}`,
      );
      if (!cm) return undefined;
      const out: Record<string, string | Buffer> = { ...(cm.data ?? {}) };
      for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
      return out;
    },
    secret: async (name) => {
      const s = await a.get<k8s.V1Secret>(
        `/api/v1/namespaces/${enc(namespace)}/secrets/${enc(name)}`,
      );
      if (!s) return undefined;
      return Object.fromEntries(
        Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      );
    },
    token: async (audience, expirationSeconds) => {
      const tr = await a.post<k8s.AuthenticationV1TokenRequest>(
        `/api/v1/namespaces/${enc(namespace)}/serviceaccounts/${enc(serviceAccount)}/token`,
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          // No audience: the API server's own, as for the kubelet's automounted token.
          spec: { ...(audience ? { audiences: [audience] } : {}), expirationSeconds },
        },
      );
      const token = tr.status?.token;
      if (!token)
        throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
      return token;
    },
  };
}

async function writeInto(root: string, path: string, content: string | Buffer, secret: boolean) {
  const file = join(root, path);
  if (relative(root, file).startsWith('..')) throw new Error(`${path} leaves ${root}`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content, { mode: secret ? 0o600 : 0o644 });
}

/**
 * Starts the istiod of the Deployment `istiod[-<revision>]` in `namespace`
 * as a local process and waits until its readiness endpoint answers. The
 * ConfigMaps istiod reads at start (the injector's is read once) must exist:
 * the operator applies them before the Deployment, so wait for the
 * Deployment first.
 */
export async function startLocalIstiod(opts: LocalIstiodOptions): Promise<LocalIstiod> {
  const t0 = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const revision = opts.revision ?? '';
  const { namespace } = opts;
  const name = istiodName(revision);
  const a = api(opts.kubeConfig);

  const dep = await a.get<k8s.V1Deployment>(
    `/apis/apps/v1/namespaces/${enc(namespace)}/deployments/${enc(name)}`,
  );
  if (!dep) {
    throw new Error(
      `Deployment ${namespace}/${name} does not exist: install an IstioOperator with ` +
        `spec.namespace: ${namespace}${revision ? ` and spec.revision: ${revision}` : ''} first`,
    );
  }
  const pod = dep.spec?.template.spec;
  const container = pod?.containers.find((c) => c.name === 'discovery') ?? pod?.containers[0];
  if (!pod || !container) throw new Error(`Deployment ${namespace}/${name} has no containers`);
  const release = istiodReleaseOf(dep.metadata?.labels, container.image);
  let binary: LocalIstiodBinary = { path: opts.binary ?? '' };
  if (!opts.binary) {
    // Throws naming the line when it has no pilot-discovery, before anything starts.
    const bin = pilotDiscoveryNameOf(`${namespace}/${name}`, release, container.image);
    // The caller's progress, else ensureBinaries' own (stderr): a cold build takes minutes.
    const found = await ensureBinaries(
      [bin],
      opts.onProgress ? { onProgress: opts.onProgress } : {},
    );
    binary = { path: found[bin], name: bin, version: await binaryVersion(bin) };
  }
  const notes: string[] = [];
  if (container.command?.length) {
    notes.push(
      `command ${JSON.stringify(container.command)} ignored: the binary is pilot-discovery`,
    );
  }
  const serviceAccount = pod.serviceAccountName || 'default';
  const src = sources(a, namespace, serviceAccount);

  // Its folder: the pod's filesystem, as far as istiod looks at it.
  const root = join(opts.controlPlaneDir, ISTIOD_DIR, `${namespace}.${name}`);
  await stopRecorded(root);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true, mode: 0o700 });

  // What the kubelet automounts: the token istiod talks to the API server with.
  const server = opts.kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  if (pod.automountServiceAccountToken !== false) {
    const rootCa = await src.configMap('kube-root-ca.crt');
    const ca = rootCa?.['ca.crt'] ?? clusterCa(opts.kubeConfig);
    await writeInto(root, `${SA_DIR}/token`, await src.token('', TOKEN_SECONDS), true);
    await writeInto(root, `${SA_DIR}/ca.crt`, ca, false);
    await writeInto(root, `${SA_DIR}/namespace`, namespace, false);
  }
  for (const m of container.volumeMounts ?? []) {
    const vol = pod.volumes?.find((v) => v.name === m.name);
    if (!vol) throw new Error(`volumeMount ${m.name}: no such volume in ${namespace}/${name}`);
    const content = await volumeContent(vol, src);
    const at = m.mountPath.replace(/^\/+/, '');
    if (content.kind === 'unsupported') notes.push(`volume ${m.name}: ${content.why}; left empty`);
    if (content.kind !== 'files') {
      if (content.kind !== 'absent') await mkdir(join(root, at), { recursive: true });
      continue;
    }
    for (const f of content.files) {
      if (m.subPath && f.path !== m.subPath) continue;
      await writeInto(root, m.subPath ? at : join(at, f.path), f.content, f.secret);
    }
  }

  const kubeconfig = join(root, 'kubeconfig');
  await writeFile(
    kubeconfig,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'local',
          cluster: { server, 'certificate-authority': join(root, SA_DIR, 'ca.crt') },
        },
      ],
      // tokenFile: client-go re-reads it, as it re-reads the in-cluster token.
      users: [{ name: serviceAccount, user: { tokenFile: join(root, SA_DIR, 'token') } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: serviceAccount, namespace } }],
      'current-context': 'local',
    }),
    { mode: 0o600 },
  );

  const [http, https, grpc, secureGrpc, monitoring, ctrlz] = await freePorts(6);
  const ports: LocalPorts = {
    http: http!,
    https: https!,
    grpc: grpc!,
    secureGrpc: secureGrpc!,
    monitoring: monitoring!,
    ctrlz: ctrlz!,
  };
  const { args, podPorts } = localArgs(container.args ?? [], ports);
  const podName = `${name}-local-${randomBytes(3).toString('hex')}`;
  const { env, notes: envNotes } = await localEnv(container.env ?? [], {
    podName,
    namespace,
    serviceAccount,
    resources: container.resources,
    lookup: async (kind, n, key) => {
      const data = kind === 'configMap' ? await src.configMap(n) : await src.secret(n);
      const v = data?.[key];
      return v === undefined ? undefined : v.toString();
    },
  });
  notes.push(...envNotes);
  // A pod's KUBECONFIG names a mounted Secret (istio-kubeconfig, optional):
  // used when the Secret exists, as in a pod; otherwise a pod falls back to
  // the in-cluster config, whose token path client-go hard-codes as absolute,
  // so here the same token comes through a kubeconfig.
  const mounted = env.KUBECONFIG ? join(root, env.KUBECONFIG) : undefined;
  const useKubeconfig = mounted && existsSync(mounted) ? mounted : kubeconfig;
  notes.push(
    `KUBECONFIG ${env.KUBECONFIG ?? '(unset)'} → ${relative(root, useKubeconfig)}: ` +
      `the ServiceAccount ${namespace}/${serviceAccount}'s token (TokenRequest), as in-cluster config would use`,
  );
  const url = new URL(server);
  const processEnv: NodeJS.ProcessEnv = {
    // Nothing of this shell's environment (KUBECONFIG, proxies) leaks in.
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: root,
    // What every pod gets for the `kubernetes` Service; istiod reads it to
    // know it runs in a cluster (its CA then trusts the API server's TokenReview).
    KUBERNETES_SERVICE_HOST: url.hostname,
    KUBERNETES_SERVICE_PORT: url.port || '443',
    ...env,
    KUBECONFIG: useKubeconfig,
  };

  const logs = join(opts.controlPlaneDir, 'logs');
  await mkdir(logs, { recursive: true });
  const log = join(logs, `istiod-${namespace}-${name}.log`);
  const what = binary.version ? `pilot-discovery ${binary.version}` : binary.path;
  const runs = release ? ` for Istio ${release.version}` : '';
  progress(`starting istiod ${namespace}/${name} (${what}${runs}, pid file in ${root})`);
  const rec = startProcess('istiod', binary.path, args, log, { cwd: root, env: processEnv });
  await writeFile(join(root, RECORD), JSON.stringify(rec, null, 2) + '\n');
  const onExit = () => killNow(rec);
  process.once('exit', onExit);

  // The Service's ports reach this process; each targetPort names a container port.
  const registered: ServicePortRef[] = [];
  const stop = async () => {
    process.removeListener('exit', onExit);
    for (const ref of registered) await unregisterLocalBackend(opts.controlPlaneDir, ref);
    await stopProcess(rec, 15_000);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const svc = await a.get<k8s.V1Service>(
      `/api/v1/namespaces/${enc(namespace)}/services/${enc(name)}`,
    );
    if (!svc)
      notes.push(`Service ${namespace}/${name} does not exist: webhooks cannot reach istiod`);
    for (const p of svc?.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      const containerPort =
        typeof target === 'number' || /^\d+$/.test(String(target))
          ? Number(target)
          : container.ports?.find((cp) => cp.name === target)?.containerPort;
      const listener = (Object.keys(LISTENER_FLAGS) as Listener[]).find(
        (l) => podPorts[l] === containerPort,
      );
      if (!listener) {
        notes.push(`Service port ${p.port} → ${String(target)}: istiod listens on no such port`);
        continue;
      }
      const ref = { namespace, name, port: p.port };
      await registerLocalBackend(opts.controlPlaneDir, ref, ports[listener]);
      registered.push(ref);
    }
    const readyUrl = `http://127.0.0.1:${ports.http}/ready`;
    await waitFor(
      `istiod ${namespace}/${name} ready (${readyUrl})`,
      async () => (await probe(readyUrl)).status === 200,
      opts.readyTimeoutMs ?? 120_000,
      () => (isAlive(rec) ? undefined : `pilot-discovery exited; see ${log}`),
      250,
    );
    const readySeconds = (Date.now() - t0) / 1000;
    progress(`istiod ${namespace}/${name} ready in ${readySeconds.toFixed(1)}s`);
    return {
      namespace,
      name,
      revision,
      release,
      binary,
      pid: rec.pid,
      log,
      root,
      ports,
      readyUrl,
      readySeconds,
      notes,
      stop,
      restart: async () => {
        await stop();
        return await startLocalIstiod(opts);
      },
      killNow: onExit,
    };
  } catch (err) {
    const tail = await logTail(log, 30);
    await stop();
    throw new Error(`${(err as Error).message}\n--- last lines of ${log} ---\n${tail}`);
  }
}

function clusterCa(kc: k8s.KubeConfig): string {
  const c = kc.getCurrentCluster();
  if (c?.caData) return Buffer.from(c.caData, 'base64').toString();
  if (c?.caFile) return readFileSync(c.caFile, 'utf8');
  throw new Error('the kubeconfig names no CA for its cluster, and kube-root-ca.crt is missing');
}

async function stopRecorded(root: string): Promise<void> {
  try {
    const rec = JSON.parse(await readFile(join(root, RECORD), 'utf8')) as ProcessRecord;
    await stopProcess(rec, 5000);
  } catch {
    // nothing recorded, or unreadable: nothing of ours runs there
  }
}

/**
 * Stops every local istiod recorded in a control-plane folder: `cluster
 * down` calls it, so a demo or test that died without its cleanup leaves
 * no pilot-discovery behind.
 */
export async function stopLocalIstiods(controlPlaneDir: string): Promise<void> {
  const base = join(controlPlaneDir, ISTIOD_DIR);
  let entries: string[] = [];
  try {
    entries = readdirSync(base);
  } catch {
    return;
  }
  for (const e of entries) await stopRecorded(join(base, e));
}

/** The local istiods recorded in a control-plane folder (for synchronous exit handlers). */
export function recordedIstiods(controlPlaneDir: string): ProcessRecord[] {
  const base = join(controlPlaneDir, ISTIOD_DIR);
  const out: ProcessRecord[] = [];
  try {
    for (const e of readdirSync(base)) {
      try {
        out.push(JSON.parse(readFileSync(join(base, e, RECORD), 'utf8')) as ProcessRecord);
      } catch {
        // not started yet
      }
    }
  } catch {
    // no istiod folder
  }
  return out;
}
