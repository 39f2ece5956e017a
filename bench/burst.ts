/**
 * bench/burst: 100 spec updates to one HEALTHY demo IstioOperator, sent one
 * after the other as fast as the API server takes them (each sets
 * `spec.meshConfig.accessLogFile` to a new value). Figures: how long the
 * burst took, how many reconciles ran from its start until the operator was
 * idle again, the operator's writes, and whether the final state is exact:
 * the last update's value in the `istio` ConfigMap's mesh config and status
 * HEALTHY for the last generation. Targets: ≤ 5 reconciles, final state
 * exact. A trace follows: when each reconcile of the burst started (from the
 * first update), how long it took and how it ended, next to when the last
 * update was acknowledged.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/burst.ts [--updates 100] [--in-flight 4]
 */
import type * as k8s from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { ReconcileRecord } from '../src/controller/manager.js';
import { sendSpecBurst } from '../test/support/burst.js';
import { demoIop, flag, healthy, iopRef, main, ms, reconciles, report, Watch } from './support.js';

const UPDATES = flag('--updates', 100);
const IN_FLIGHT = flag('--in-flight', 4);
const TARGET_RECONCILES = 5;
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

const logFile = (i: number) => `/tmp/access-${i}.log`;

main(`burst: ${UPDATES} spec updates to one IstioOperator`, 10 * 60_000, async (env) => {
  const ns = await env.namespace('istio-system');
  const trace: ReconcileRecord[] = [];
  const m = await env.startOperator({ onReconcile: (r) => trace.push(r) });
  const configMaps = new Watch<k8s.V1ConfigMap>(env.kc, env.client, CONFIGMAP, ns);
  await configMaps.informer.start();
  try {
    await env.client.apply(demoIop(ns, 'demo'));
    const get = () => env.iops.get('demo', ns);
    await env.iops.until('HEALTHY', () => healthy(get()), 120_000);
    await env.quiet(m);

    const r0 = reconciles(m);
    const w0 = m.client.total();
    const traced = trace.length;
    const wall0 = Date.now();
    const t0 = performance.now();
    // A few in flight: one at a time takes ~2 s on a contended API server.
    await sendSpecBurst(env.client, iopRef(ns, 'demo'), logFile, UPDATES, IN_FLIGHT);
    const sent = performance.now() - t0;
    const last = logFile(UPDATES);
    const meshValue = () => {
      const mesh = configMaps.get('istio', ns)?.data?.mesh;
      return mesh ? (yaml.load(mesh) as { accessLogFile?: string }).accessLogFile : undefined;
    };
    await configMaps.until('last value in the istio ConfigMap', () => meshValue() === last, 60_000);
    const inConfigMap = performance.now() - t0;
    await env.iops.until('HEALTHY for the last generation', () => healthy(get()), 60_000);
    await env.quiet(m);
    const r = reconciles(m) - r0;
    const w = m.client.total() - w0;

    // Exact: the live spec, the ConfigMap and the status all agree on the last update.
    const live = (await env.client.get(iopRef(ns, 'demo'))) as unknown as {
      metadata: { generation: number };
      spec: { meshConfig?: { accessLogFile?: string } };
      status?: { status?: string; observedGeneration?: number };
    };
    const exact =
      live.spec.meshConfig?.accessLogFile === last &&
      meshValue() === last &&
      live.status?.status === 'HEALTHY' &&
      live.status.observedGeneration === live.metadata.generation;

    console.log(
      `${UPDATES} updates sent in ${ms(sent)}; last value in the istio ConfigMap ${ms(inConfigMap)} after the first`,
    );
    console.log(
      `operator: ${r} reconciles (${JSON.stringify(m.counts)} since start), ${w} writes during the burst`,
    );
    console.log(
      `trace (start after the first update, duration, result; burst sent by ${ms(sent)}):`,
    );
    for (const x of trace.slice(traced))
      console.log(
        `  +${ms(x.startedAt - wall0).padStart(8)}  ${ms(x.ms).padStart(7)}  ${x.result}`,
      );
    report('reconciles', String(r), `<= ${TARGET_RECONCILES}`, r <= TARGET_RECONCILES);
    report(
      'final state',
      `accessLogFile ${meshValue()}, status ${live.status?.status} for generation ${live.status?.observedGeneration}/${live.metadata.generation}`,
      `exact (${last}, HEALTHY, last generation)`,
      exact,
    );
  } finally {
    await configMaps.informer.stop();
  }
});
