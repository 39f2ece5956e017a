/**
 * bench/converge: how fast a new demo IstioOperator is installed.
 * Per run: create the IstioOperator, then time
 *  - applied: every object applied and the status for this generation
 *    written (UPDATING or HEALTHY, i.e. after the apply, not the RECONCILING
 *    written before it);
 *  - healthy: status HEALTHY (kwok makes the pods available);
 * then delete it and wait until the finalizer has uninstalled everything.
 * p50/p95 over the runs. The operator runs in-process with the defaults of
 * `istio-operator run`, watching all namespaces.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/converge.ts [--runs 20]
 */
import {
  applied,
  demoIop,
  flag,
  healthy,
  iopRef,
  main,
  ms,
  percentile,
  reconciles,
  report,
} from './support.js';

const RUNS = flag('--runs', 20);
const TARGET_MS = 1000;

main('converge: demo IstioOperator, create -> applied -> HEALTHY', 20 * 60_000, async (env) => {
  const ns = await env.namespace('istio-system');
  const m = await env.startOperator();
  const toApplied: number[] = [];
  const toHealthy: number[] = [];
  const phases = { finalizer: [] as number[], status: [] as number[], apply: [] as number[] };
  const get = () => env.iops.get('demo', ns);
  console.log(
    'run   applied   healthy   uninstall   reconciles   writes   (finalizer + status + apply)',
  );
  for (let i = 1; i <= RUNS; i++) {
    await env.quiet(m);
    const r0 = reconciles(m);
    const w0 = m.client.total();
    const t0 = performance.now();
    await env.client.apply(demoIop(ns, 'demo'));
    // Phases, each a condition that stays true once reached: the finalizer
    // patch (first reconcile), the RECONCILING status written after the
    // render, and the status written after the apply.
    await env.iops.until('finalizer', () => !!get()?.metadata?.finalizers?.length, 120_000);
    const f = performance.now() - t0;
    await env.iops.until(
      'first status',
      () => get()?.status?.observedGeneration === get()?.metadata?.generation,
      120_000,
    );
    const s = performance.now() - t0;
    await env.iops.until('applied', () => applied(get()), 120_000);
    const a = performance.now() - t0;
    await env.iops.until('HEALTHY', () => healthy(get()), 120_000);
    const h = performance.now() - t0;
    // Counted once the operator is idle: a reconcile is counted when it returns, after its status write.
    await env.quiet(m);
    const r = reconciles(m) - r0;
    const w = m.client.total() - w0;
    const t1 = performance.now();
    await env.client.delete(iopRef(ns, 'demo'));
    await env.iops.until('uninstalled', () => get() === undefined, 120_000);
    const u = performance.now() - t1;
    toApplied.push(a);
    phases.finalizer.push(f);
    phases.status.push(s - f);
    phases.apply.push(a - s);
    toHealthy.push(h);
    console.log(
      `${String(i).padStart(3)}   ${ms(a).padStart(7)}   ${ms(h).padStart(7)}   ${ms(u).padStart(9)}   ${String(r).padStart(10)}   ${String(w).padStart(6)}   (${ms(f)} + ${ms(s - f)} + ${ms(a - s)})`,
    );
  }
  const p50 = percentile(toApplied, 50);
  report(
    `create -> applied over ${RUNS} runs`,
    `p50 ${ms(p50)}, p95 ${ms(percentile(toApplied, 95))}`,
    `p50 <= ${ms(TARGET_MS)}`,
    p50 <= TARGET_MS,
  );
  console.log(
    `  p50 of the phases: create -> finalizer ${ms(percentile(phases.finalizer, 50))}, ` +
      `-> RECONCILING status ${ms(percentile(phases.status, 50))}, ` +
      `-> every object applied and status written ${ms(percentile(phases.apply, 50))}`,
  );
  console.log(
    `create -> HEALTHY over ${RUNS} runs: p50 ${ms(percentile(toHealthy, 50))}, p95 ${ms(percentile(toHealthy, 95))} (no target)`,
  );
});
