/**
 * bench/restart-workloads: how long the operator takes to move N workloads
 * to a canary revision's proxy in batches of B, and what it costs the API
 * server per workload (issue 27).
 *
 * On a fresh local control plane: IstioOperator `stable` (minimal, revision
 * stable, tag `prod`) and its real istiod (pilot-discovery of Istio 1.27);
 * N Deployments of R replicas in a namespace labelled `istio.io/rev=prod`,
 * injected by it (kwok runs the pods); then `canary` (revision canary) and
 * its istiod, and the tag moved to it. Then, timed: the annotation
 * `install.istio.io/restart-workloads: batch=B,pause=0s` on canary until
 * `status.proxies.restart.phase` is Done and no pod is stale. Printed: the
 * time to Done, per batch, and the operator's API requests during it by
 * verb and per workload.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/restart-workloads.ts [--workloads 20] [--replicas 2] [--batch 5]
 */
import type { IstioOperator } from '../src/api/types.js';
import { RESTART_WORKLOADS_ANNOTATION } from '../src/api/vocabulary.js';
import { ensureBinaries, pilotDiscoveryFor } from '../src/cluster/binaries.js';
import { startLocalIstiod, type LocalIstiod } from '../src/cluster/istiod.js';
import { releaseOfMinor } from '../src/releases/catalog.js';
import { flag, healthy, iopRef, main, ms, requestsByVerb, sleep, verbDelta } from './support.js';

const WORKLOADS = flag('--workloads', 20);
const REPLICAS = flag('--replicas', 2);
const BATCH = flag('--batch', 5);
const TAG = releaseOfMinor('1.27')!.patch;

const DEPLOYMENTS = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
} as const;
const PODS = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true } as const;

const app = (namespace: string, name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace },
  spec: {
    replicas: REPLICAS,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    },
  },
});

main(
  `restart-workloads: ${WORKLOADS} Deployments x ${REPLICAS} replicas to a canary revision, batch=${BATCH}`,
  30 * 60_000,
  async (env) => {
    await ensureBinaries([pilotDiscoveryFor('1.27')!], {
      onProgress: (l) => console.log(`[build] ${l}`),
    });
    const ns = await env.namespace('istio-system');
    const m = await env.startOperator();
    const istiods: LocalIstiod[] = [];
    const get = (name: string) => env.iops.get(name, ns) as IstioOperator | undefined;
    const untilHealthy = (name: string) =>
      env.iops.until(`${name} HEALTHY`, () => healthy(get(name)), 120_000);
    try {
      await env.client.apply({
        ...iopRef(ns, 'stable'),
        spec: {
          profile: 'minimal',
          tag: TAG,
          revision: 'stable',
          values: { revisionTags: ['prod'] },
        },
      });
      await untilHealthy('stable');
      const start = async (revision: string) => {
        const i = await startLocalIstiod({
          kubeConfig: env.kc,
          controlPlaneDir: env.cp.dir,
          namespace: ns,
          revision,
        });
        istiods.push(i);
      };
      await start('stable');
      const apps = await env.namespace('apps');
      await env.client.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: apps, labels: { 'istio.io/rev': 'prod' } },
      });
      const names = Array.from(
        { length: WORKLOADS },
        (_, i) => `app-${String(i).padStart(3, '0')}`,
      );
      for (const n of names) await env.client.apply(app(apps, n));
      const podsRunning = async () =>
        (await env.client.list(PODS, apps)).filter((p) => !p.metadata?.deletionTimestamp).length;
      for (let t = Date.now(); (await podsRunning()) < WORKLOADS * REPLICAS; await sleep(250)) {
        if (Date.now() - t > 180_000) throw new Error('the app pods did not all start in 3 min');
      }
      await env.client.apply({
        ...iopRef(ns, 'canary'),
        spec: { profile: 'minimal', tag: TAG, revision: 'canary' },
      });
      await untilHealthy('canary');
      await start('canary');
      await env.client.mergePatch({
        ...iopRef(ns, 'canary'),
        spec: { values: { revisionTags: ['prod'] } },
      });
      await env.client.mergePatch({
        ...iopRef(ns, 'stable'),
        spec: { values: { revisionTags: null } },
      });
      await untilHealthy('canary');
      await untilHealthy('stable');
      // The tag moved: the canary's next scan (its spec changed) finds every pod stale.
      await env.iops.until(
        'all stale',
        () => get('canary')?.status?.proxies?.stalePods === WORKLOADS * REPLICAS,
        120_000,
      );
      await env.quiet(m);
      console.log(`set up: ${WORKLOADS * REPLICAS} pods stale in ${WORKLOADS} Deployments`);

      const before = requestsByVerb(m);
      const t0 = performance.now();
      await env.client.mergePatch({
        ...iopRef(ns, 'canary'),
        metadata: {
          name: 'canary',
          namespace: ns,
          annotations: { [RESTART_WORKLOADS_ANNOTATION]: `batch=${BATCH},pause=0s` },
        },
      });
      const batches: number[] = [];
      let restarted = 0;
      await env.iops.until(
        'restart Done',
        () => {
          const p = get('canary')?.status?.proxies;
          const n = p?.restart?.restarted ?? 0;
          if (n > restarted) {
            restarted = n;
            batches.push(performance.now() - t0);
          }
          return p?.restart?.phase === 'Done' && p.stalePods === 0;
        },
        20 * 60_000,
      );
      const total = performance.now() - t0;
      const after = requestsByVerb(m);
      const calls =
        Object.values(after).reduce((a, b) => a + b, 0) -
        Object.values(before).reduce((a, b) => a + b, 0);
      const deployments = await env.client.list(DEPLOYMENTS, apps);
      const marked = deployments.filter(
        (d) =>
          (d as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } })
            .spec?.template?.metadata?.annotations?.['install.istio.io/restarted-for'] ===
          `canary@${TAG}`,
      ).length;
      console.log(`batches started at: ${batches.map(ms).join(', ')}`);
      console.log(
        `restart: ${WORKLOADS} Deployments (${WORKLOADS * REPLICAS} pods) in batches of ${BATCH}: ` +
          `Done after ${ms(total)} (${ms(total / Math.ceil(WORKLOADS / BATCH))} per batch); ${marked} marked`,
      );
      console.log(
        `operator API requests during it: ${calls} (${(calls / WORKLOADS).toFixed(1)} per workload): ${verbDelta(before, after)}`,
      );
    } finally {
      for (const i of istiods) await i.stop();
    }
  },
);
