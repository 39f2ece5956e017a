import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultClusterDir as defaultDir } from './dirs.js';
import {
  ensureBinaries,
  FULL_BINARIES,
  MINIMAL_BINARIES,
  type BinaryName,
  type Progress,
} from './binaries.js';
import { EGRESS_FILES, egressSelectorConfig, registerLocalBackend } from './egress.js';
import { probe, waitFor, type TlsClient } from './health.js';
import { ISTIOD_DIR, recordedIstiods, stopLocalIstiods } from './istiod.js';
import { writeKubeconfig } from './kubeconfig.js';
import { generatePki, type PkiFiles } from './pki.js';
import { freePorts } from './ports.js';
import {
  isAlive,
  killNow,
  logTail,
  startProcess,
  stopProcess,
  type ProcessRecord,
} from './process.js';

/** `minimal`: etcd + kube-apiserver. `full`: plus controller-manager, scheduler and kwok nodes. */
export type ControlPlaneMode = 'minimal' | 'full';

/** Options for {@link startControlPlane}. */
export interface StartOptions {
  /** Folder for state, PKI, etcd data, logs and the kubeconfig. Default: {@link defaultClusterDir}. */
  dir?: string;
  /** Default `full`. */
  mode?: ControlPlaneMode;
  /** Fake kwok nodes in full mode. Default 1. */
  nodes?: number;
  onProgress?: Progress;
  /** Start timeout per component. Default 90 s (2 slow cores and a cold page cache). */
  timeoutMs?: number;
  /**
   * Service ClusterIP range. Default 10.0.0.0/24. Two control planes that
   * form one mesh (multi-cluster tests) need ranges of their own, so an
   * address names one cluster's Service.
   */
  serviceCidr?: string;
  /** Pod address range of the kwok nodes. Default kwok's, 10.0.0.1/24. */
  podCidr?: string;
}

/** What is recorded in `<dir>/state.json` about a running control plane. */
export interface ControlPlaneState {
  mode: ControlPlaneMode;
  dir: string;
  server: string;
  kubeconfig: string;
  processes: ProcessRecord[];
  nodes: string[];
  startedAt: string;
  kubernetesVersion: string;
}

/** Items in a control-plane folder that `down` removes; nothing else there is touched. */
const OWNED_ENTRIES = [
  'state.json',
  'kubeconfig',
  'pki',
  'etcd-data',
  'logs',
  'kubeconfigs',
  ISTIOD_DIR,
  ...Object.values(EGRESS_FILES),
];

export { defaultClusterDir } from './dirs.js';

/** Reads `<dir>/state.json`, or undefined when no control plane was started there. */
async function readState(dir: string): Promise<ControlPlaneState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

/** Per-process liveness for `cluster status`. */
export interface ControlPlaneStatus {
  state: ControlPlaneState | undefined;
  processes: { name: string; pid: number; running: boolean }[];
  /** True when every recorded process runs and /readyz answers ok. */
  healthy: boolean;
}

/** Reports which processes of the control plane in `dir` run and whether the API is ready. */
export async function controlPlaneStatus(dir: string): Promise<ControlPlaneStatus> {
  const state = await readState(dir);
  if (!state) return { state, processes: [], healthy: false };
  const processes = state.processes.map((p) => ({ name: p.name, pid: p.pid, running: isAlive(p) }));
  const allRunning = processes.every((p) => p.running);
  const ready = allRunning && (await probe(`${state.server}/readyz`, tlsOf(dir))).status === 200;
  return { state, processes, healthy: ready };
}

function tlsOf(dir: string): TlsClient {
  const pki = join(dir, 'pki');
  return {
    ca: join(pki, 'serving-ca.crt'),
    cert: join(pki, 'admin.crt'),
    key: join(pki, 'admin.key'),
  };
}

/**
 * Stops every process recorded for the control plane in `dir` (API server
 * first so clients see it go, etcd last) and removes the data this project
 * wrote there. Idempotent: a folder with nothing running is just cleaned.
 */
export async function stopControlPlane(
  dir: string,
  opts: { keepData?: boolean } = {},
): Promise<void> {
  startedHere.delete(resolve(dir));
  // Local istiods first: they are clients of the API server.
  await stopLocalIstiods(dir);
  const state = await readState(dir);
  if (state) {
    const order = [...state.processes].reverse();
    for (const p of order) await stopProcess(p);
  }
  if (!opts.keepData) {
    for (const e of OWNED_ENTRIES) await rm(join(dir, e), { recursive: true, force: true });
    try {
      await rmdir(dir);
    } catch {
      // not empty (the user keeps other files there) or already gone
    }
  }
}

/**
 * Stops one process of a running control plane and starts it again with the
 * same arguments (same ports, same data), waiting until it answers again.
 * For fault tests: restarting kube-apiserver while etcd keeps the data is
 * what an API server upgrade or crash looks like to the operator.
 */
export async function restartProcess(dir: string, name: string, downMs = 0): Promise<void> {
  const state = await readState(dir);
  const p = state?.processes.find((x) => x.name === name);
  if (!state || !p) throw new Error(`no process ${name} in the control plane in ${dir}`);
  await stopProcess(p, 5000);
  if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
  const next = startProcess(p.name, p.binary, p.args, p.log);
  state.processes = state.processes.map((x) => (x.name === name ? next : x));
  await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  if (name === 'kube-apiserver') {
    await waitFor(
      'kube-apiserver after restart',
      async () => (await probe(`${state.server}/readyz`, tlsOf(dir))).status === 200,
      90_000,
      () => (isAlive(next) ? undefined : `kube-apiserver exited; see ${next.log}`),
    );
  }
}

/** A started control plane, with the means to stop it. */
export interface RunningControlPlane extends ControlPlaneState {
  /** Stops all processes and removes the data (unless keepData). */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** Kills all processes immediately; for synchronous exit handlers. */
  killNow(): void;
  /** Admin client configuration for @kubernetes/client-node. */
  kubeConfig(): k8s.KubeConfig;
}

function running(state: ControlPlaneState): RunningControlPlane {
  return {
    ...state,
    stop: (opts) => stopControlPlane(state.dir, opts),
    killNow: () => {
      // Read the state again: restartProcess may have replaced a process since.
      let current = state;
      try {
        current = JSON.parse(
          readFileSync(join(state.dir, 'state.json'), 'utf8'),
        ) as ControlPlaneState;
      } catch {
        // not written yet, or already removed: what we started is what we know
      }
      [...recordedIstiods(state.dir), ...current.processes].forEach(killNow);
    },
    kubeConfig: () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(state.kubeconfig);
      return kc;
    },
  };
}

/** Control planes this process started and has not stopped, by folder. */
const startedHere = new Map<string, RunningControlPlane>();

/**
 * The control planes this process started and has not stopped: what a test
 * run kills on every way it ends (a CLI's `cluster up` leaves its own
 * running on purpose, so nothing here kills them by itself).
 */
export function controlPlanesStartedHere(): RunningControlPlane[] {
  return [...startedHere.values()];
}

/**
 * Starts a real control plane on loopback: etcd and kube-apiserver with a
 * fresh PKI, and in full mode kube-controller-manager, kube-scheduler and
 * kwok with fake nodes, so Deployments roll out and namespaces finalize.
 * Returns once the API server is ready (and, in full mode, the nodes are
 * Ready and the default ServiceAccount exists). If anything fails, whatever
 * was started is stopped again and the error carries the failing log's tail.
 *
 * Calling it on a folder whose control plane is already running and healthy
 * returns that one (same mode required), so `cluster up` is idempotent.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<RunningControlPlane> {
  const dir = resolve(opts.dir ?? defaultDir());
  const mode = opts.mode ?? 'full';
  const progress = opts.onProgress ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? 90_000;

  const existing = await controlPlaneStatus(dir);
  if (existing.state) {
    if (existing.healthy && existing.state.mode === mode) {
      progress(`control plane in ${dir} is already running`);
      return running(existing.state);
    }
    if (existing.healthy) {
      throw new Error(
        `a ${existing.state.mode} control plane already runs in ${dir}; ` +
          `run \`istio-operator cluster down --dir ${dir}\` first, or use another --dir`,
      );
    }
    progress(`cleaning up a stopped or broken control plane in ${dir}`);
    await stopControlPlane(dir);
  }

  const binaries = await ensureBinaries(mode === 'full' ? FULL_BINARIES : MINIMAL_BINARIES, {
    onProgress: progress,
  });

  await mkdir(join(dir, 'logs'), { recursive: true });
  const started: ProcessRecord[] = [];
  const abort = () => started.forEach(killNow);
  process.once('exit', abort);
  try {
    const state = await bootstrap(
      dir,
      mode,
      opts.nodes ?? 1,
      { serviceCidr: opts.serviceCidr ?? '10.0.0.0/24', podCidr: opts.podCidr },
      binaries,
      started,
      progress,
      timeoutMs,
    );
    await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
    const cp = running(state);
    startedHere.set(dir, cp);
    return cp;
  } catch (err) {
    for (const p of [...started].reverse()) await stopProcess(p, 2000);
    throw err;
  } finally {
    process.removeListener('exit', abort);
  }
}

async function bootstrap(
  dir: string,
  mode: ControlPlaneMode,
  nodeCount: number,
  ranges: { serviceCidr: string; podCidr?: string | undefined },
  bin: Record<BinaryName, string>,
  started: ProcessRecord[],
  progress: Progress,
  timeoutMs: number,
): Promise<ControlPlaneState> {
  const t0 = Date.now();
  const [etcdClient, etcdPeer, apiPort, cmPort, schedPort, kwokPort] = await freePorts(6);
  const logs = join(dir, 'logs');
  const diedMessage = (p: ProcessRecord) => () =>
    isAlive(p) ? undefined : `${p.name} exited; see ${p.log}`;
  const withTail = async (err: unknown, p: ProcessRecord): Promise<Error> => {
    const tail = await logTail(p.log, 25);
    return new Error(`${(err as Error).message}\n--- last lines of ${p.log} ---\n${tail}`);
  };
  const launch = (name: string, binary: string, args: string[]) => {
    const p = startProcess(name, binary, args, join(logs, `${name}.log`));
    started.push(p);
    return p;
  };

  progress('generating certificates');
  const pki: PkiFiles = await generatePki(join(dir, 'pki'), [
    { file: 'admin', user: 'admin', groups: ['system:masters'] },
    { file: 'controller-manager', user: 'system:kube-controller-manager', groups: [] },
    { file: 'scheduler', user: 'system:kube-scheduler', groups: [] },
    { file: 'kwok', user: 'kwok', groups: ['system:masters'] },
  ]);

  progress('starting etcd');
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const etcd = launch('etcd', bin.etcd, [
    '--name=local',
    `--data-dir=${join(dir, 'etcd-data')}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
    // Test data is disposable; fsync dominates write latency on small VMs.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]);
  try {
    await waitFor(
      'etcd',
      async () => (await probe(`${etcdUrl}/health`)).body.includes('"health":"true"'),
      timeoutMs,
      diedMessage(etcd),
    );
  } catch (e) {
    throw await withTail(e, etcd);
  }

  const server = `https://127.0.0.1:${apiPort}`;
  progress('starting the egress proxy (keeps webhook calls on loopback)');
  const egress = await startEgressProcess(dir, server, launch, timeoutMs).catch(async (e) => {
    const p = started.find((x) => x.name === 'egress-proxy');
    throw p ? await withTail(e, p) : e;
  });

  progress('starting kube-apiserver');
  const apiserver = launch('kube-apiserver', bin['kube-apiserver'], [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    // Without it the API server looks for a default route, which sandboxes may lack.
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.clientCa}`,
    '--authorization-mode=Node,RBAC',
    `--service-cluster-ip-range=${ranges.serviceCidr}`,
    '--allow-privileged=true',
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${pki.saPublicKey}`,
    `--service-account-signing-key-file=${pki.saPrivateKey}`,
    // In minimal mode no controller creates ServiceAccounts, so pods could never be admitted.
    ...(mode === 'minimal' ? ['--disable-admission-plugins=ServiceAccount'] : []),
    `--cert-dir=${join(dir, 'pki')}`,
    // Calls to Services (webhooks, aggregated APIs, kubelets) go through our
    // proxy, which dials only loopback: see egress.ts.
    `--egress-selector-config-file=${egress.config}`,
    '--v=1',
  ]);
  const tls = tlsOf(dir);
  try {
    await waitFor(
      'kube-apiserver',
      async () => (await probe(`${server}/readyz`, tls)).status === 200,
      timeoutMs,
      diedMessage(apiserver),
    );
  } catch (e) {
    throw await withTail(e, apiserver);
  }

  // The `kubernetes` Service is the API server itself.
  await registerLocalBackend(
    dir,
    { namespace: 'default', name: 'kubernetes', port: 443 },
    Number(apiPort),
  );

  const kubeconfigs = join(dir, 'kubeconfigs');
  await mkdir(kubeconfigs, { recursive: true });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, {
    server,
    caFile: pki.servingCa,
    certFile: pki.clients.admin!.cert,
    keyFile: pki.clients.admin!.key,
    name: 'istio-operator-local',
  });
  const componentKubeconfig = async (who: string) => {
    const path = join(kubeconfigs, `${who}.kubeconfig`);
    await writeKubeconfig(path, {
      server,
      caFile: pki.servingCa,
      certFile: pki.clients[who]!.cert,
      keyFile: pki.clients[who]!.key,
      name: who,
    });
    return path;
  };

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const version = await kc.makeApiClient(k8s.VersionApi).getCode();
  const nodes: string[] = [];

  if (mode === 'full') {
    progress('starting kube-controller-manager, kube-scheduler and kwok');
    const cmKubeconfig = await componentKubeconfig('controller-manager');
    const cm = launch('kube-controller-manager', bin['kube-controller-manager'], [
      `--kubeconfig=${cmKubeconfig}`,
      `--authentication-kubeconfig=${cmKubeconfig}`,
      `--authorization-kubeconfig=${cmKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${cmPort}`,
      '--leader-elect=false',
      // Each controller acts as its own ServiceAccount, as kubeadm clusters do,
      // so RBAC mistakes show up here as they would in production.
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.saPrivateKey}`,
      `--root-ca-file=${pki.servingCa}`,
      '--cluster-name=istio-operator-local',
      // No cloud, no bootstrap tokens, no CSR signing in a test cluster.
      '--controllers=*,-bootstrapsigner,-tokencleaner,-csrsigning,-csrapproving,-cloud-node-lifecycle,-service-lb-controller,-route',
      '--v=1',
    ]);
    const schedKubeconfig = await componentKubeconfig('scheduler');
    const sched = launch('kube-scheduler', bin['kube-scheduler'], [
      `--kubeconfig=${schedKubeconfig}`,
      `--authentication-kubeconfig=${schedKubeconfig}`,
      `--authorization-kubeconfig=${schedKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
      '--leader-elect=false',
      '--v=1',
    ]);
    const kwok = launch('kwok', bin.kwok, [
      `--kubeconfig=${await componentKubeconfig('kwok')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      ...(ranges.podCidr ? [`--cidr=${ranges.podCidr}`] : []),
      // Keep a node Lease: without one the controller-manager's node monitor
      // (50 s grace) marks the node's pods NotReady about a minute in.
      '--node-lease-duration-seconds=40',
      `--server-address=127.0.0.1:${kwokPort}`,
    ]);

    progress(`registering ${nodeCount} kwok node(s)`);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < nodeCount; i++) {
      const name = `kwok-node-${i}`;
      nodes.push(name);
      await core.createNode({ body: fakeNode(name) });
    }
    const failFast = () => {
      for (const p of [cm, sched, kwok]) if (!isAlive(p)) return `${p.name} exited; see ${p.log}`;
      return undefined;
    };
    try {
      await waitFor(
        'kwok nodes',
        async () => {
          const list = await core.listNode();
          return nodes.every((n) =>
            list.items.some(
              (it) =>
                it.metadata?.name === n &&
                it.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            ),
          );
        },
        timeoutMs,
        failFast,
        250,
      );
      progress('waiting for the controllers (default ServiceAccount)');
      await waitFor(
        'kube-controller-manager',
        async () => {
          try {
            await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
            return true;
          } catch {
            return false;
          }
        },
        timeoutMs,
        failFast,
        250,
      );
    } catch (e) {
      const dead = [cm, sched, kwok].find((p) => !isAlive(p)) ?? kwok;
      throw await withTail(e, dead);
    }
  }

  progress(`control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return {
    mode,
    dir,
    server,
    kubeconfig,
    processes: [...started],
    nodes,
    startedAt: new Date().toISOString(),
    kubernetesVersion: version.gitVersion,
  };
}

/**
 * Starts the egress proxy (egress-main.ts) as a process of the control plane
 * and waits for its socket. The socket path must fit a Unix socket address
 * (107 bytes); a deep `--dir` gets one in the temporary folder instead.
 */
async function startEgressProcess(
  dir: string,
  server: string,
  launch: (name: string, binary: string, args: string[]) => ProcessRecord,
  timeoutMs: number,
): Promise<{ config: string; socket: string }> {
  let socket = join(dir, EGRESS_FILES.socket);
  if (Buffer.byteLength(socket) > 100) {
    const { createHash } = await import('node:crypto');
    const id = createHash('sha256').update(dir).digest('hex').slice(0, 16);
    socket = join(tmpdir(), `istio-operator-egress-${id}.sock`);
  }
  const config = join(dir, EGRESS_FILES.config);
  await writeFile(config, egressSelectorConfig(socket));
  // From a build, the compiled file; in a checkout run through tsx, the
  // TypeScript source with tsx loaded the same way.
  const self = import.meta.url;
  const fromSources = self.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./egress-main.${fromSources ? 'ts' : 'js'}`, self));
  // createRequire, not import.meta.resolve: under mocha, tsx may load this
  // module as CommonJS, where import.meta.resolve does not exist.
  const nodeArgs = fromSources
    ? ['--import', pathToFileURL(createRequire(self).resolve('tsx')).href]
    : [];
  const proxy = launch('egress-proxy', process.execPath, [
    ...nodeArgs,
    entry,
    `--dir=${dir}`,
    `--socket=${socket}`,
    `--server=${server}`,
  ]);
  await waitFor(
    'egress proxy',
    async () => (await probeSocket(socket)) === 405,
    timeoutMs,
    () => (isAlive(proxy) ? undefined : `egress proxy exited; see ${proxy.log}`),
    50,
  );
  return { config, socket };
}

/** GETs / on a Unix socket: the status code, or 0 when nothing answers. */
async function probeSocket(socketPath: string): Promise<number> {
  const { request } = await import('node:http');
  return await new Promise((resolve) => {
    const req = request({ socketPath, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** A Node object kwok will manage: it fills in status and keeps it Ready. */
function fakeNode(name: string): k8s.V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '250' },
      capacity: { cpu: '32', memory: '256Gi', pods: '250' },
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: 'fake',
        kubeProxyVersion: 'fake',
        bootID: '',
        containerRuntimeVersion: '',
        kernelVersion: '',
        machineID: '',
        osImage: '',
        systemUUID: '',
      },
      phase: 'Running',
    },
  };
}
