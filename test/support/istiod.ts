import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { waitFor } from '../../src/cluster/health.js';
import type { KubeClient } from '../../src/kube/client.js';
import { kubeRequest } from '../../src/kube/request.js';

const suffix = (rev: string) => (rev && rev !== 'default' ? `-${rev}` : '');

/** The parts of a pod (or pod template) that sidecar injection writes. */
export interface InjectedParts {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  initContainers: k8s.V1Container[];
  containers: k8s.V1Container[];
  volumes: k8s.V1Volume[];
  securityContext: k8s.V1PodSecurityContext | undefined;
}

const API_ACCESS = /^kube-api-access-/;

/**
 * The injected parts of a pod or pod template, normalised for comparing a
 * pod the webhook injected with a template `istioctl kube-inject` injected:
 * - the ServiceAccount admission plugin's `kube-api-access-*` volume and the
 *   mounts it adds to the containers present at admission (it runs on pods,
 *   never on templates, and before the webhooks);
 * - the ReplicaSet's `pod-template-hash` label (pods only).
 * Nothing else is touched: both sides went through the API server's
 * defaulting, the pod when it was created, the template by a dry-run create.
 */
export function injectedParts(template: k8s.V1PodTemplateSpec): InjectedParts {
  const spec = template.spec!;
  const strip = (cs: k8s.V1Container[] | undefined) =>
    (cs ?? []).map((c) => {
      const mounts = (c.volumeMounts ?? []).filter((m) => !API_ACCESS.test(m.name));
      const out = { ...c };
      if (mounts.length) out.volumeMounts = mounts;
      else delete out.volumeMounts;
      return out;
    });
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels['pod-template-hash'];
  return {
    labels,
    annotations: { ...(template.metadata?.annotations ?? {}) },
    initContainers: strip(spec.initContainers),
    containers: strip(spec.containers),
    volumes: (spec.volumes ?? []).filter((v) => !API_ACCESS.test(v.name)),
    securityContext: spec.securityContext,
  };
}

async function run(bin: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    // Only what kube-inject needs: no KUBECONFIG, so it cannot reach a cluster.
    const p = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: tmpdir() },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // Offline it takes under a second; one that waits for something (a
    // cluster, say) fails here, named, instead of eating the test's timeout.
    const timer = setTimeout(() => p.kill('SIGKILL'), RUN_TIMEOUT_MS);
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else {
        const why = signal ? `killed after ${RUN_TIMEOUT_MS / 1000}s` : `exit ${code}`;
        reject(new Error(`${bin} ${args.join(' ')}: ${why}\n${err}`));
      }
    });
  });
}

const RUN_TIMEOUT_MS = 30_000;

/**
 * What `istioctl kube-inject` (the oracle) makes of a Deployment with the
 * injector and mesh ConfigMaps the operator applied for `revision`, read
 * from the API server: the injected pod template, defaulted by the API
 * server (a dry-run create of the injected Deployment under another name).
 */
export async function kubeInjectTemplate(opts: {
  istioctl: string;
  kc: k8s.KubeConfig;
  client: KubeClient;
  /** istiod's namespace. */
  istioNamespace: string;
  revision: string;
  deployment: k8s.V1Deployment;
}): Promise<k8s.V1PodTemplateSpec> {
  const cm = async (name: string) =>
    (
      (await opts.client.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: opts.istioNamespace },
      })) as k8s.V1ConfigMap
    ).data ?? {};
  const injector = await cm(`istio-sidecar-injector${suffix(opts.revision)}`);
  const mesh = await cm(`istio${suffix(opts.revision)}`);
  const dir = await mkdtemp(join(tmpdir(), 'kube-inject-'));
  try {
    const f = (n: string) => join(dir, n);
    await writeFile(f('config.yaml'), injector.config ?? '');
    await writeFile(f('values.json'), injector.values ?? '');
    await writeFile(f('mesh.yaml'), mesh.mesh ?? '');
    // kube-inject sees the Deployment as the API server defaults it, as the
    // webhook sees the pod (port protocols, probe schemes and timeouts end up
    // in ISTIO_META_POD_PORTS and ISTIO_KUBE_APP_PROBERS).
    const ns0 = opts.deployment.metadata!.namespace!;
    const defaulted = JSON.parse(
      (
        await kubeRequest(
          opts.kc,
          'POST',
          `/apis/apps/v1/namespaces/${ns0}/deployments?dryRun=All`,
          {
            ...opts.deployment,
            metadata: { name: `${opts.deployment.metadata!.name}-defaulted`, namespace: ns0 },
          },
        )
      ).body,
    ) as k8s.V1Deployment;
    defaulted.metadata = opts.deployment.metadata;
    delete defaulted.status;
    await writeFile(f('deployment.yaml'), yaml.dump(defaulted));
    const out = await run(opts.istioctl, [
      'kube-inject',
      '-f',
      f('deployment.yaml'),
      '--injectConfigFile',
      f('config.yaml'),
      '--valuesFile',
      f('values.json'),
      '--meshConfigFile',
      f('mesh.yaml'),
      // Always a revision: without one, istioctl 1.30 and 1.31 ask a cluster
      // for the default revision and wait for one (there is none: no
      // KUBECONFIG). `default` means none to every line's kube-inject, as in
      // the conformance suite's injection cases.
      '--revision',
      opts.revision || 'default',
    ]);
    const injected = yaml.loadAll(out).find(Boolean) as k8s.V1Deployment;
    const ns = injected.metadata!.namespace!;
    injected.metadata = { name: `${injected.metadata!.name}-kube-inject`, namespace: ns };
    const res = await kubeRequest(
      opts.kc,
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments?dryRun=All`,
      injected,
    );
    return (JSON.parse(res.body) as k8s.V1Deployment).spec!.template;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One TCP socket of a process: its local and remote address, and whether it listens. */
/**
 * The first pod of Deployment `d`, as the webhooks left it, checked to carry
 * a proxy equal to what `istioctl kube-inject` (of the pod's line) makes of
 * `d` with the same ConfigMaps.
 */
export async function injectedLikeKubeInject(opts: {
  istioctl: string;
  kc: k8s.KubeConfig;
  client: KubeClient;
  /** istiod's namespace. */
  istioNamespace: string;
  revision: string;
  deployment: k8s.V1Deployment;
}): Promise<k8s.V1Pod> {
  const pod = await firstPodOf(opts.client, opts.deployment);
  assert.ok(
    pod.spec!.containers.some((c) => c.name === 'istio-proxy'),
    `the pod was not injected: ${JSON.stringify(pod.spec!.containers.map((c) => c.name))}`,
  );
  const expected = await kubeInjectTemplate(opts);
  assert.deepEqual(
    injectedParts({ metadata: pod.metadata, spec: pod.spec }),
    injectedParts(expected),
  );
  return pod;
}

export interface SocketInfo {
  local: string;
  remote: string;
  listening: boolean;
}

function addr(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const p = parseInt(port, 16);
  if (ip.length === 8) {
    const b = ip.match(/../g)!.map((x) => parseInt(x, 16));
    return `${b[3]}.${b[2]}.${b[1]}.${b[0]}:${p}`;
  }
  // IPv6: four 32-bit words, each little-endian.
  const words = ip.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const v6 = words.join('').toLowerCase();
  if (v6.startsWith('00000000000000000000ffff')) {
    const b = v6
      .slice(24)
      .match(/../g)!
      .map((x) => parseInt(x, 16));
    return `::ffff:${b.join('.')}:${p}`;
  }
  return `[${v6.match(/.{4}/g)!.join(':')}]:${p}`;
}

/** The TCP sockets a process holds, from /proc (Linux). */
export function socketsOf(pid: number): SocketInfo[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: SocketInfo[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (!inodes.has(f[9]!)) continue;
      out.push({ local: addr(f[1]!), remote: addr(f[2]!), listening: f[3] === '0A' });
    }
  }
  return out;
}

/** True for an address on 127.0.0.0/8 or ::1 (v4-mapped included). */
export function isLoopbackAddress(a: string): boolean {
  return (
    /^127\./.test(a) ||
    /^::ffff:127\./.test(a) ||
    a.startsWith('[0000:0000:0000:0000:0000:0000:0000:0001]')
  );
}

/** CPU time (user + system, seconds) and resident memory (MiB, now and peak) of a process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; rssMiB: number; peakMiB: number } {
  // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  // USER_HZ is 100 on every Linux the project runs on.
  return { cpuSeconds: ticks / 100, rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/**
 * istiod's validation controller logs this as an error, by design, until its
 * dry-run of an invalid Gateway is denied (then it switches to fail-closed).
 */
const TRANSIENT = /webhook is not ready, retry/;
/**
 * An optimistic-concurrency conflict that istiod retries: its first caBundle
 * patch of a webhook configuration can meet another writer's update of the
 * same object (the other istiod's or the operator's first apply). It is not a
 * configuration error; a lasting fight would show in the test that counts the
 * operator's writes to the webhook configurations over two minutes.
 */
const RETRIED_CONFLICT =
  /the object has been modified; please apply your changes to the latest version/;
/**
 * istiod's GatewayClass controller (no leader election, by design) creates the
 * built-in classes from its informer's view. Its own create of one class
 * wakes it again before the informer has seen the other, and the second
 * create of that one fails with AlreadyExists; the queue retries and the next
 * pass finds it. It is istiod racing itself, not our configuration: the first
 * test checks both classes end up as istiod wrote them.
 */
const SELF_RACED_CLASS =
  /retrying \(retry count: [1-3]\): gatewayclasses\.gateway\.networking\.k8s\.io "istio(-remote|-waypoint|-east-west)?" already exists\tcontroller=gateway class$/;
/** The known noise of istiod's error log, by name. */
const TOLERATED: Record<string, RegExp> = { TRANSIENT, RETRIED_CONFLICT, SELF_RACED_CLASS };

const errorLines = (log: string) => log.split('\n').filter((l) => /\terror\t/.test(l));

/**
 * The lines of an istiod log at level error, less the known noise above:
 * what the real-istiod tests require to be empty (a configuration error the
 * operator's render caused would show here).
 */
export const configurationErrors = (log: string): string[] =>
  errorLines(log).filter((l) => !Object.values(TOLERATED).some((re) => re.test(l)));

/** How many error lines of each kind of known noise a log holds (for the suites' summaries). */
export function toleratedErrors(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of errorLines(log)) {
    const name = Object.keys(TOLERATED).find((k) => TOLERATED[k]!.test(l));
    if (name) out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** A plain app Deployment (one container, a named port, a readiness probe) for injection tests. */
export const webApp = (namespace: string, name: string): k8s.V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name, version: 'v1' } },
      spec: {
        containers: [
          {
            name,
            image: 'registry.example/web:1.0',
            ports: [{ containerPort: 8080, name: 'http' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
          },
        ],
      },
    },
  },
});

/**
 * Creates (applies) a Deployment and returns its first pod as the admission
 * webhooks left it; when none comes within 30 s, fails with the namespace's
 * events (a webhook refusal, say).
 */
export async function firstPodOf(client: KubeClient, d: k8s.V1Deployment): Promise<k8s.V1Pod> {
  await client.apply(d);
  let pod: k8s.V1Pod | undefined;
  await waitFor(
    `a pod of ${d.metadata!.namespace}/${d.metadata!.name}`,
    async () => {
      const pods = await client.list<k8s.V1Pod>(
        { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
        d.metadata!.namespace,
        `app=${d.metadata!.name}`,
      );
      pod = pods[0];
      return pod !== undefined;
    },
    30_000,
    undefined,
    200,
  ).catch(async (err: Error) => {
    // The ReplicaSet's events say why no pod came (a webhook refusal, say).
    const events = await client.list<k8s.CoreV1Event>(
      { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
      d.metadata!.namespace,
    );
    throw new Error(`${err.message}\n${events.map((e) => e.message).join('\n')}`);
  });
  return pod!;
}
