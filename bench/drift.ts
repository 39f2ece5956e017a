/**
 * bench/drift: how fast a deleted owned object comes back. With a HEALTHY
 * demo IstioOperator installed, per run: delete the istiod Deployment and
 * time until a new istiod Deployment (another uid) exists; then wait for
 * HEALTHY and an idle operator before the next run. Median over the runs.
 * Target ≤ 1 s.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/drift.ts [--runs 7]
 */
import type * as k8s from '@kubernetes/client-node';
import {
  demoIop,
  flag,
  healthy,
  main,
  ms,
  percentile,
  reconciles,
  report,
  Watch,
} from './support.js';

const RUNS = flag('--runs', 7);
const TARGET_MS = 1000;
const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
};

main('drift: delete the istiod Deployment -> restored', 10 * 60_000, async (env) => {
  const ns = await env.namespace('istio-system');
  const m = await env.startOperator();
  const deployments = new Watch<k8s.V1Deployment>(env.kc, env.client, DEPLOYMENT, ns);
  await deployments.informer.start();
  try {
    await env.client.apply(demoIop(ns, 'demo'));
    const iopHealthy = () => healthy(env.iops.get('demo', ns));
    await env.iops.until('HEALTHY', iopHealthy, 120_000);
    const times: number[] = [];
    console.log('run   restored   reconciles   writes');
    for (let i = 1; i <= RUNS; i++) {
      await env.iops.until('HEALTHY', iopHealthy, 60_000);
      await env.quiet(m);
      const uid = deployments.get('istiod', ns)?.metadata?.uid;
      const r0 = reconciles(m);
      const w0 = m.client.total();
      const t0 = performance.now();
      await env.client.delete({ ...DEPLOYMENT, metadata: { name: 'istiod', namespace: ns } });
      await deployments.until(
        'istiod restored',
        () => {
          const d = deployments.get('istiod', ns);
          return !!d && d.metadata?.uid !== uid;
        },
        60_000,
      );
      const t = performance.now() - t0;
      times.push(t);
      await env.iops.until('HEALTHY', iopHealthy, 60_000);
      await env.quiet(m);
      console.log(
        `${String(i).padStart(3)}   ${ms(t).padStart(8)}   ${String(reconciles(m) - r0).padStart(10)}   ${String(m.client.total() - w0).padStart(6)}`,
      );
    }
    const p50 = percentile(times, 50);
    report(
      `deleted istiod Deployment -> restored, ${RUNS} runs`,
      `median ${ms(p50)} (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))})`,
      `<= ${ms(TARGET_MS)}`,
      p50 <= TARGET_MS,
    );
  } finally {
    await deployments.informer.stop();
  }
});
