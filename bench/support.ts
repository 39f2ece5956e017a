/**
 * What the operator benchmarks share: a private control plane in a temp
 * folder (always stopped, also on Ctrl-C and on the time limit), the
 * IstioOperator CRD, an in-process operator or one in a child process
 * (`istio-operator run`, for its own memory figures), event-driven waits on a
 * watch-backed cache (no polling load on a contended API server), and
 * figures. Benchmarks print; they assert nothing.
 */
import type * as k8s from '@kubernetes/client-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IstioOperator } from '../src/api/types.js';
import { startControlPlane, type RunningControlPlane } from '../src/cluster/controlplane.js';
import { Informer } from '../src/runtime/informer.js';
import type { ManagerOptions, OperatorManager } from '../src/controller/manager.js';
import { Operator } from '../src/controller/operator.js';
import { KubeClient, WRITE_VERBS, type ObjectRef, type Verb } from '../src/kube/client.js';
import { loadKubeConfig } from '../src/kube/config.js';
import type { ResourceType } from '../src/kube/resource.js';
import { configureLogger, parseLogLevel } from '../src/log/logger.js';
import { installIstioOperatorCrd } from '../test/support/crd.js';
import { IOP_RESOURCE } from '../src/api/vocabulary.js';

/** Label the operator puts on every object an IstioOperator owns. */
export const OWNER_LABEL = 'install.operator.istio.io/owning-resource';

/** A numeric `--name value` command-line flag, or `dflt`. */
export function flag(name: string, dflt: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || dflt : dflt;
}

/** A string `--name value` command-line flag, or `dflt`. */
export function option(name: string, dflt: string): string {
  const args = process.argv.slice(2);
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
}

/** The p-th percentile (0–100, nearest rank) of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1] ?? NaN;
}

/** Milliseconds as `1234 ms` or `12.3 s`. */
export function ms(x: number): string {
  return x < 10_000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(1)} s`;
}

/** Sleeps; benchmarks use it only for measurement windows, never to wait for a state. */
export const sleep = (t: number) => new Promise<void>((r) => setTimeout(r, t));

/** A reference to an IstioOperator. */
export function iopRef(namespace: string, name: string): ObjectRef {
  return {
    apiVersion: IOP_RESOURCE.apiVersion,
    kind: IOP_RESOURCE.kind,
    metadata: { name, namespace },
  };
}

/** The demo IstioOperator `name` in `namespace`, installing into the same namespace. */
export function demoIop(namespace: string, name: string, spec: Record<string, unknown> = {}) {
  return { ...iopRef(namespace, name), spec: { profile: 'demo', namespace, ...spec } };
}

type Iop = IstioOperator & k8s.KubernetesObject;

/** Status written after every object was applied (UPDATING while rolling out, or HEALTHY). */
export function applied(iop: Iop | undefined): boolean {
  const s = iop?.status;
  return (
    !!s &&
    s.observedGeneration === iop?.metadata?.generation &&
    (s.status === 'UPDATING' || s.status === 'HEALTHY')
  );
}

/** HEALTHY for the current generation. */
export function healthy(iop: Iop | undefined): boolean {
  const s = iop?.status;
  return s?.status === 'HEALTHY' && s.observedGeneration === iop?.metadata?.generation;
}

/**
 * A watch-backed cache of one resource type with waits that are checked on
 * every event, so a wait ends within milliseconds of the change and costs
 * the API server nothing but one watch.
 */
export class Watch<T extends k8s.KubernetesObject> {
  readonly informer: Informer<T>;
  private readonly waiters = new Set<() => void>();

  constructor(kc: k8s.KubeConfig, client: KubeClient, resource: ResourceType, namespace?: string) {
    this.informer = new Informer<T>({
      kubeConfig: kc,
      client,
      resource,
      ...(namespace ? { namespace } : {}),
    });
    const wake = () => this.waiters.forEach((w) => w());
    this.informer.onAdd(wake);
    this.informer.onUpdate(wake);
    this.informer.onDelete(wake);
  }

  /** The cached object. */
  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  /** Resolves once `check` holds on the cache; rejects after `timeoutMs`. */
  async until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => {
        if (check()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${what}: not reached after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }
}

/** What a benchmark gets to work with. */
export interface BenchEnv {
  cp: RunningControlPlane;
  kc: k8s.KubeConfig;
  /** The benchmark's own client: its requests are not counted as the operator's. */
  client: KubeClient;
  /** IstioOperators in every namespace, as the API server has them. */
  iops: Watch<Iop>;
  /** Creates (applies) a namespace. */
  namespace(name: string): Promise<string>;
  /** Starts an in-process operator; it is stopped when the benchmark ends, unless stopped before. */
  startOperator(opts?: Partial<ManagerOptions>): Promise<OperatorManager>;
  /** Stops an operator started with {@link BenchEnv.startOperator}. */
  stopOperator(m: OperatorManager): Promise<void>;
  /** Resolves once the operator has nothing queued, in flight or being written. */
  quiet(m: OperatorManager, timeoutMs?: number): Promise<void>;
  /**
   * Starts `istio-operator run` as a child process with its defaults,
   * metrics on a free loopback port; killed when the benchmark ends, unless
   * stopped before.
   */
  spawnOperator(): Promise<OperatorProcess>;
}

/** `/metrics` of an operator process, parsed. */
export interface Metrics {
  /** Sum of the samples of `name` whose labels have the given values (any of a list). */
  sum(name: string, labels?: Record<string, string | readonly string[]>): number;
}

/** An `istio-operator run` child process. */
export interface OperatorProcess {
  pid: number;
  /** Whether it runs compiled JavaScript (dist/cli/main.js) or the sources through tsx. */
  compiled: boolean;
  /** When dist/cli/main.js was built, if compiled. */
  builtAt?: Date;
  /** Node options it runs with (`--operator-node-options`). */
  nodeOptions: string[];
  scrape(): Promise<Metrics>;
  /** `/readyz` says the caches have synced. */
  ready(): Promise<boolean>;
  /** Resident memory now (VmRSS) and at its highest so far (VmHWM), from /proc; bytes. */
  memory(): { rss: number; peak: number };
  /** SIGTERM, then waits for the exit (SIGKILL after 40 s). */
  stop(): Promise<void>;
}

/** Parses the Prometheus text format (enough of it for our own gauges and counters). */
export function parseMetrics(text: string): Metrics {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return {
    sum: (name, want = {}) =>
      samples
        .filter(
          (x) =>
            x.name === name &&
            Object.entries(want).every(([k, v]) =>
              typeof v === 'string' ? x.labels[k] === v : v.includes(x.labels[k] ?? ''),
            ),
        )
        .reduce((n, x) => n + x.value, 0),
  };
}

/** Writes counted by an operator process's `istio_operator_api_requests` gauge. */
export function writesOf(metrics: Metrics): number {
  return metrics.sum('istio_operator_api_requests', { verb: WRITE_VERBS });
}

/** Reconciles counted by an operator process, all results together. */
export function reconcilesOf(metrics: Metrics): number {
  return metrics.sum('istio_operator_reconcile_total');
}

/** VmRSS and VmHWM of a process, in bytes. */
export function procMemory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** CPU time (user + system) a process has used so far, in seconds; 0 once it is gone. */
export function procCpuSeconds(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const BIN = fileURLToPath(new URL('../bin/istio-operator.js', import.meta.url));
const COMPILED = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/**
 * Runs the compiled CLI (dist/cli/main.js, what the container runs) directly
 * when it exists, so the figures are for compiled JavaScript even while
 * others edit src/ during a long benchmark (bin/istio-operator.js would then
 * fall back to tsx); without dist/ it runs bin/istio-operator.js (tsx).
 */
export async function spawnOperatorProcess(
  kubeconfig: string,
  logLevel: string,
): Promise<OperatorProcess & { child: ChildProcess }> {
  const port = await freePort();
  const compiled = existsSync(COMPILED);
  // `--operator-node-options "--max-semi-space-size=2 …"`: V8 flags for the operator process.
  const nodeOptions = option('--operator-node-options', '').split(/\s+/).filter(Boolean);
  const args = [...nodeOptions, compiled ? COMPILED : BIN];
  args.push('--log-format', 'json', '--log-level', logLevel);
  args.push('run', '--kubeconfig', kubeconfig);
  args.push('--metrics-addr', `127.0.0.1:${port}`, '--health-addr', '');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error('istio-operator run did not start');
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { ok: res.ok, text: await res.text() };
  };
  return {
    child,
    pid,
    compiled,
    nodeOptions,
    ...(compiled ? { builtAt: statSync(COMPILED).mtime } : {}),
    scrape: async () => parseMetrics((await get('/metrics')).text),
    ready: () =>
      get('/readyz').then(
        (r) => r.ok,
        () => false,
      ),
    memory: () => procMemory(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Requests of an operator's client by verb (all HTTP codes). */
export function requestsByVerb(m: OperatorManager): Record<Verb, number> {
  const out = {} as Record<Verb, number>;
  for (const v of ['get', 'list', ...WRITE_VERBS] as Verb[]) out[v] = m.client.total([v]);
  return out;
}

/** `after - before`, by verb, as `get=3 list=0 …`. */
export function verbDelta(before: Record<Verb, number>, after: Record<Verb, number>): string {
  return (Object.keys(after) as Verb[]).map((v) => `${v}=${after[v] - before[v]}`).join(' ');
}

/** Reconciles run so far, all results together. */
export function reconciles(m: OperatorManager): number {
  return Object.values(m.counts).reduce((a, b) => a + b, 0);
}

/** Control-plane settings of a benchmark. */
export interface BenchOptions {
  /** kwok nodes; each takes 250 pods. Default 1. */
  nodes?: number;
}

/**
 * Runs {@link runBench} and exits: 0 when it finished, 1 with the error
 * otherwise (kept-alive sockets must not keep a finished benchmark running).
 */
export function main(
  title: string,
  limitMs: number,
  body: (env: BenchEnv) => Promise<void>,
  opts: BenchOptions = {},
): void {
  runBench(title, limitMs, body, opts).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/**
 * Runs `body` against a fresh full control plane (etcd, kube-apiserver,
 * controller-manager, scheduler, kwok) in a temp folder with the
 * IstioOperator CRD installed. Everything started is stopped afterwards —
 * on success, on error, on SIGINT/SIGTERM and when `limitMs` runs out (the
 * benchmark then exits non-zero) — so a run always ends by itself.
 */
export async function runBench(
  title: string,
  limitMs: number,
  body: (env: BenchEnv) => Promise<void>,
  opts: BenchOptions = {},
): Promise<void> {
  // Only figures by default; `--log-level debug` shows the operator's reconciles for diagnosis.
  configureLogger({ level: parseLogLevel(option('--log-level', 'warn')) });
  console.log(`${title} (${new Date().toISOString()}, time limit ${ms(limitMs)})`);
  const dir = await mkdtemp(join(tmpdir(), 'istio-operator-bench-'));
  let cp: RunningControlPlane | undefined;
  const operators: OperatorManager[] = [];
  const processes: (OperatorProcess & { child: ChildProcess })[] = [];
  // Synchronous last resort: kill the processes and remove the folder, then exit.
  const abort = (why: string, code: number) => {
    console.error(`\n${why}: stopping the control plane`);
    for (const p of processes) p.child.kill('SIGKILL');
    cp?.killNow();
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  const onSignal = (sig: NodeJS.Signals) => abort(`got ${sig}`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const limit = setTimeout(() => abort(`time limit of ${ms(limitMs)} reached`, 2), limitMs);
  try {
    const t0 = performance.now();
    cp = await startControlPlane({ dir, mode: 'full', nodes: opts.nodes ?? 1 });
    const kc = cp.kubeConfig();
    const kubeconfig = cp.kubeconfig;
    await installIstioOperatorCrd(kc);
    const client = new KubeClient(kc);
    const iops = new Watch<Iop>(kc, client, IOP_RESOURCE);
    await iops.informer.start();
    console.log(`control plane up in ${ms(performance.now() - t0)}`);
    const env: BenchEnv = {
      cp,
      kc,
      client,
      iops,
      namespace: async (name) => {
        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        return name;
      },
      startOperator: async (opts = {}) => {
        // `--coalesce-quiet-ms 0` turns burst coalescing off, for comparisons.
        const quiet = option('--coalesce-quiet-ms', '');
        const queue = quiet === '' ? {} : { queue: { coalesceQuietMs: Number(quiet) } };
        // Credentials as `istio-operator run --kubeconfig` loads them (and so
        // its connection reuse), not the benchmark's own client-node KubeConfig.
        const own = await loadKubeConfig({ kubeconfig });
        // Started as every operator starts (controller/operator.ts), without probes.
        const op = new Operator({ kubeConfig: own, ...queue, ...opts });
        const m = op.manager;
        operators.push(m);
        await op.start();
        return m;
      },
      stopOperator: async (m) => {
        operators.splice(operators.indexOf(m), 1);
        await m.stop();
      },
      spawnOperator: async () => {
        const p = await spawnOperatorProcess(kubeconfig, option('--log-level', 'warn'));
        processes.push(p);
        return p;
      },
      quiet: async (m, timeoutMs = 60_000) => {
        const deadline = Date.now() + timeoutMs;
        // Idle for 300 ms on end: events of the last writes may still be on the wire.
        for (let idleSince = 0; ; await sleep(50)) {
          if (Date.now() > deadline) throw new Error(`operator not idle after ${ms(timeoutMs)}`);
          if (!m.isIdle()) idleSince = 0;
          else if (!idleSince) idleSince = Date.now();
          else if (Date.now() - idleSince >= 300) return;
        }
      },
    };
    try {
      await body(env);
    } finally {
      await iops.informer.stop();
    }
  } finally {
    clearTimeout(limit);
    for (const m of operators) await m.stop().catch(() => undefined);
    for (const p of processes) await p.stop();
    if (cp) await cp.stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Prints `label: figure (target …, met/MISSED)`. */
export function report(label: string, figure: string, target: string, met: boolean): void {
  console.log(`${label}: ${figure}   target ${target}: ${met ? 'met' : 'MISSED'}`);
}
