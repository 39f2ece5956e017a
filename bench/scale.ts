/**
 * bench/scale: many small IstioOperators. From an empty cluster, 300
 * gateway-only IstioOperators (profile `empty` plus one ingress gateway,
 * the split layout), 10 in each of 30 namespaces, are created (10 requests
 * in flight) with the operator already running. The operator is
 * `istio-operator run` with its defaults (4 workers, all namespaces) in a
 * child process, so its memory is its own: node and the operator, nothing of
 * the benchmark. Figures:
 *  - time from the first create until every one is applied (status written
 *    after the apply, as in bench/converge), which the target is held to;
 *    then, waiting at most 2 min more, until every one is HEALTHY;
 *  - the operator process's RSS (VmRSS from /proc/<pid>/status, sampled
 *    every 250 ms, and VmHWM, the kernel's peak): once caches are synced on
 *    the empty cluster, peak while converging, once converged;
 *  - restart: the operator is stopped (SIGTERM) and a new process started on
 *    the converged cluster; time until its caches are synced, and until it
 *    has reconciled every IstioOperator and is idle; the requests it issued
 *    by verb (from its /metrics: `istio_operator_api_requests`); its RSS.
 * Targets: ≤ 60 s to converge; ≤ 150 MiB; restart: 0 writes.
 * Two kwok nodes (250 pods each) hold the 300 gateway pods; the gateway
 * Services are headless ClusterIP, because the local control plane's
 * Service range (a /24) has about 250 addresses.
 * `bin/istio-operator.js` runs dist/ when it exists: `npm run build` first,
 * or the figures are for the sources through tsx (the benchmark says which).
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/scale.ts [--iops 300] [--namespaces 30] [--healthy-wait-s 120]
 *     [--operator-node-options "--max-semi-space-size=2"]
 */
import { loadavg } from 'node:os';
import { WRITE_VERBS, type Verb } from '../src/kube/client.js';
import {
  applied,
  flag,
  healthy,
  main,
  ms,
  procCpuSeconds,
  reconcilesOf,
  report,
  sleep,
  writesOf,
  type Metrics,
  type OperatorProcess,
} from './support.js';

const IOPS = flag('--iops', 300);
const NAMESPACES = flag('--namespaces', 30);
const IN_FLIGHT = 10;
const HEALTHY_WAIT_MS = flag('--healthy-wait-s', 120) * 1000;
const TARGET_MS = 60_000;
const TARGET_MIB = 150;
/** No request issued and nothing queued for this long: the operator is idle. */
const IDLE_MS = 1000;
const VERBS: Verb[] = ['get', 'list', ...WRITE_VERBS];

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Peak VmRSS of a process, sampled every 250 ms (VmHWM is the exact peak; both are shown). */
function rssSampler(p: OperatorProcess): { peak(): number; stop(): void } {
  let peak = p.memory().rss;
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, p.memory().rss);
    } catch {
      // the process has exited
    }
  }, 250);
  return { peak: () => peak, stop: () => clearInterval(t) };
}

const requests = (m: Metrics) => m.sum('istio_operator_api_requests');

/**
 * Resolves once the operator has issued no request and had nothing queued
 * for {@link IDLE_MS} (and `also` holds); returns when that quiet began.
 * Polls /metrics every 100 ms.
 */
async function idle(
  p: OperatorProcess,
  timeoutMs: number,
  also: (m: Metrics) => boolean = () => true,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = performance.now();
  for (;;) {
    const m = await p.scrape();
    const n = requests(m);
    if (n !== last || m.sum('istio_operator_workqueue_depth') > 0 || !also(m)) {
      last = n;
      since = performance.now();
    } else if (performance.now() - since >= IDLE_MS) return since;
    if (Date.now() > deadline) throw new Error(`operator not idle after ${ms(timeoutMs)}`);
    await sleep(100);
  }
}

async function untilReady(p: OperatorProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await p.ready())) {
    if (Date.now() > deadline) throw new Error('operator not ready after 120 s');
    await sleep(20);
  }
}

function byVerb(m: Metrics): string {
  return VERBS.map((v) => `${v}=${m.sum('istio_operator_api_requests', { verb: v })}`).join(' ');
}

/** Answers other than 2xx, by code (0: no answer). */
function failures(m: Metrics): string {
  const codes = ['0', '400', '404', '409', '422', '429', '500', '503', '504'];
  const out = codes
    .map((c) => [c, m.sum('istio_operator_api_requests', { code: c })] as const)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c}=${n}`);
  return out.length ? out.join(' ') : 'none';
}

function byResult(m: Metrics): string {
  const results = ['done', 'requeueAfter', 'terminal', 'error', 'conflict'];
  return results
    .map((r) => `${r}=${m.sum('istio_operator_reconcile_total', { result: r })}`)
    .join(' ');
}

async function pool<T>(items: readonly T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

main(
  `scale: ${IOPS} gateway IstioOperators in ${NAMESPACES} namespaces`,
  25 * 60_000,
  async (env) => {
    const targets: { ns: string; name: string }[] = [];
    for (let i = 0; i < IOPS; i++)
      targets.push({ ns: `scale-${i % NAMESPACES}`, name: `gw-${Math.floor(i / NAMESPACES)}` });
    for (let k = 0; k < Math.min(NAMESPACES, IOPS); k++) await env.namespace(`scale-${k}`);

    const first = await env.spawnOperator();
    const rss = rssSampler(first);
    try {
      await untilReady(first);
      const empty = first.memory().rss;
      console.log(
        `operator: pid ${first.pid}${first.nodeOptions.length ? ` (node ${first.nodeOptions.join(' ')})` : ''}, ${first.compiled ? `compiled (dist/cli/main.js built ${first.builtAt?.toISOString()})` : 'sources through tsx (no dist/)'}; ` +
          `RSS ${mib(empty)} with caches synced on the empty cluster`,
      );
      const count = (pred: typeof applied) =>
        env.iops.informer
          .list()
          .filter((o) => o.metadata?.namespace?.startsWith('scale-') && pred(o)).length;
      // CPU used while converging, by the operator and by the control plane, to tell
      // an operator short of CPU from one waiting on the API server.
      const pids = [
        { name: 'operator', pid: first.pid },
        ...env.cp.processes.map((p) => ({ name: p.name, pid: p.pid })),
      ];
      const cpu0 = pids.map((p) => procCpuSeconds(p.pid));
      const t0 = performance.now();
      await pool(targets, IN_FLIGHT, async ({ ns, name }) => {
        await env.client.apply({
          apiVersion: 'install.istio.io/v1alpha1',
          kind: 'IstioOperator',
          metadata: { name, namespace: ns },
          spec: {
            profile: 'empty',
            namespace: 'istio-system',
            components: {
              ingressGateways: [
                {
                  name: `ingress-${name}`,
                  namespace: ns,
                  enabled: true,
                  // The local control plane's Service range is a /24: 300 ClusterIPs do not fit.
                  k8s: { service: { type: 'ClusterIP', clusterIP: 'None' } },
                },
              ],
            },
          },
        });
      });
      const created = performance.now() - t0;
      await env.iops.until('all applied', () => count(applied) === IOPS, 20 * 60_000);
      const toApplied = performance.now() - t0;
      console.log(
        `created ${IOPS} in ${ms(created)}; all applied and status written ${ms(toApplied)}; ` +
          `${writesOf(await first.scrape())} writes so far; RSS now ${mib(first.memory().rss)}`,
      );
      report('empty -> all applied', ms(toApplied), `<= ${ms(TARGET_MS)}`, toApplied <= TARGET_MS);
      console.log(
        `  CPU used meanwhile (s): ${pids.map((p, i) => `${p.name} ${(procCpuSeconds(p.pid) - cpu0[i]!).toFixed(1)}`).join(', ')}; ` +
          `machine load ${loadavg()[0]!.toFixed(1)}`,
      );
      const allHealthy = await env.iops
        .until('all HEALTHY', () => count(healthy) === IOPS, HEALTHY_WAIT_MS)
        .then(() => true)
        .catch(() => false);
      console.log(
        allHealthy
          ? `all HEALTHY ${ms(performance.now() - t0)}`
          : `${count(healthy)} of ${IOPS} HEALTHY ${ms(HEALTHY_WAIT_MS)} after all were applied`,
      );
      await idle(first, 120_000);
      const converged = first.memory();
      const m1 = await first.scrape();
      console.log(
        `${reconcilesOf(m1)} reconciles (${byResult(m1)}); requests ${byVerb(m1)}; not 2xx: ${failures(m1)}`,
      );
      const peak1 = Math.max(rss.peak(), converged.peak);
      report(
        'operator RSS',
        `peak ${mib(peak1)} (sampled ${mib(rss.peak())}, VmHWM ${mib(converged.peak)}), ` +
          `${mib(converged.rss)} once converged and idle, ${mib(empty)} before the first IstioOperator`,
        `<= ${TARGET_MIB} MiB`,
        peak1 <= TARGET_MIB * 2 ** 20,
      );
    } finally {
      rss.stop();
    }

    await first.stop();
    const t1 = performance.now();
    const second = await env.spawnOperator();
    const rss2 = rssSampler(second);
    try {
      await untilReady(second);
      const synced = performance.now() - t1;
      const quietSince = await idle(second, 10 * 60_000, (m) => reconcilesOf(m) >= IOPS);
      const confirmed = quietSince - t1;
      const m2 = await second.scrape();
      const mem = second.memory();
      const peak2 = Math.max(rss2.peak(), mem.peak);
      console.log(
        `restart: caches synced ${ms(synced)} after start, every IstioOperator reconciled and idle ${ms(confirmed)} after start ` +
          `(${reconcilesOf(m2)} reconciles: ${byResult(m2)}); requests ${byVerb(m2)}; not 2xx: ${failures(m2)}`,
      );
      report(
        'restart RSS',
        `peak ${mib(peak2)} (sampled ${mib(rss2.peak())}, VmHWM ${mib(mem.peak)}), ${mib(mem.rss)} once idle`,
        `<= ${TARGET_MIB} MiB`,
        peak2 <= TARGET_MIB * 2 ** 20,
      );
      const w = writesOf(m2);
      report('restart', `${w} writes`, '0 writes', w === 0);
    } finally {
      rss2.stop();
    }
  },
  { nodes: 2 },
);
