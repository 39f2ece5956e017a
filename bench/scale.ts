/**
 * bench/scale: many small IstioOperators. From an empty cluster, 300
 * gateway-only IstioOperators (profile `empty` plus one ingress gateway,
 * the split layout), 10 in each of 30 namespaces, are created (10 requests
 * in flight) with the operator already running with its defaults (4
 * workers, all namespaces). Figures:
 *  - time from the first create until every one is applied (status written
 *    after the apply, as in bench/converge), which the target is held to;
 *    then, waiting at most 2 min more, until every one is HEALTHY;
 *  - RSS of the benchmark process (the operator runs in-process): peak, once
 *    converged, and before the operator started (node + tsx + the benchmark
 *    with its watch of IstioOperators), so the operator's share shows;
 *  - restart: the operator is stopped and a new one started on the
 *    converged cluster; time until each IstioOperator has been reconciled
 *    and the operator is idle, and the requests it issued by verb.
 * Targets: ≤ 60 s to converge; ≤ 150 MiB; restart: 0 writes.
 * Two kwok nodes (250 pods each) hold the 300 gateway pods; the gateway
 * Services are headless ClusterIP, because the local control plane's
 * Service range (a /24) has about 250 addresses.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/scale.ts [--iops 300] [--namespaces 30] [--healthy-wait-s 120]
 */
import {
  applied,
  flag,
  healthy,
  main,
  ms,
  reconciles,
  report,
  requestsByVerb,
  verbDelta,
} from './support.js';
import { WRITE_VERBS, type Verb } from '../src/kube/client.js';

const IOPS = flag('--iops', 300);
const NAMESPACES = flag('--namespaces', 30);
const IN_FLIGHT = 10;
const HEALTHY_WAIT_MS = flag('--healthy-wait-s', 120) * 1000;
const TARGET_MS = 60_000;
const TARGET_MIB = 150;

const mib = (bytes: number) => bytes / 2 ** 20;

/** Peak RSS, sampled every 250 ms. */
function rssSampler(): { peak(): number; stop(): void } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
  return { peak: () => peak, stop: () => clearInterval(t) };
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
    // Before the operator: node, tsx, the benchmark and its watch. The operator's share is the rest.
    const baseline = process.memoryUsage().rss;
    const rss = rssSampler();
    try {
      const first = await env.startOperator();
      const count = (pred: typeof applied) =>
        env.iops.informer
          .list()
          .filter((o) => o.metadata?.namespace?.startsWith('scale-') && pred(o)).length;
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
          `${first.client.total()} writes so far`,
      );
      report('empty -> all applied', ms(toApplied), `<= ${ms(TARGET_MS)}`, toApplied <= TARGET_MS);
      // Bounded: kwok marks pods unready now and then (docs/benchmarks.md, steady).
      const allHealthy = await env.iops
        .until('all HEALTHY', () => count(healthy) === IOPS, HEALTHY_WAIT_MS)
        .then(() => true)
        .catch(() => false);
      console.log(
        allHealthy
          ? `all HEALTHY ${ms(performance.now() - t0)}`
          : `${count(healthy)} of ${IOPS} HEALTHY ${ms(HEALTHY_WAIT_MS)} after all were applied`,
      );
      await env.quiet(first, 120_000);
      const rssConverged = process.memoryUsage().rss;
      console.log(
        `${reconciles(first)} reconciles ${JSON.stringify(first.counts)}, ${first.client.total()} writes`,
      );
      report(
        'RSS',
        `peak ${mib(rss.peak()).toFixed(0)} MiB, ${mib(rssConverged).toFixed(0)} MiB once converged, ` +
          `${mib(baseline).toFixed(0)} MiB before the operator started (heap used now ${mib(process.memoryUsage().heapUsed).toFixed(0)} MiB)`,
        `<= ${TARGET_MIB} MiB`,
        mib(rss.peak()) <= TARGET_MIB,
      );

      await env.stopOperator(first);
      const t1 = performance.now();
      const second = await env.startOperator();
      const synced = performance.now() - t1;
      const deadline = Date.now() + 10 * 60_000;
      while (reconciles(second) < IOPS && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      await env.quiet(second, 10 * 60_000);
      const confirmed = performance.now() - t1;
      const zero = Object.fromEntries(
        (Object.keys(requestsByVerb(second)) as Verb[]).map((v) => [v, 0]),
      ) as Record<Verb, number>;
      const byVerb = requestsByVerb(second);
      const w = WRITE_VERBS.reduce((n, v) => n + byVerb[v], 0);
      console.log(
        `restart: caches synced in ${ms(synced)}, every IstioOperator reconciled and idle in ${ms(confirmed)} ` +
          `(${reconciles(second)} reconciles); requests ${verbDelta(zero, byVerb)}; peak RSS ${mib(rss.peak()).toFixed(0)} MiB`,
      );
      report('restart', `${w} writes`, '0 writes', w === 0);
    } finally {
      rss.stop();
    }
  },
  { nodes: 2 },
);
