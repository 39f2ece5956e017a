/**
 * bench/steady: what the operator asks of the API server when there is
 * nothing to do. With a HEALTHY demo IstioOperator installed:
 *  - idle: requests by verb during 60 s with nothing changing;
 *  - restart: a second operator starts on the installed cluster (the first
 *    one stopped) and settles: requests by verb until idle;
 *  - resync: that operator runs with a short informer resync period, so
 *    every IstioOperator is handed to a reconcile again; requests by verb
 *    across a window of three periods.
 * Requests are those of the operator's client (the informers' lists
 * included; watches are long-running and not counted). Target: 0 writes.
 * Every status change within a window is printed, to tell what its writes
 * were. On the local control plane, kwok pods lose readiness about 50 s after
 * it is ready (docs/benchmarks.md); `--idle-s 35` keeps the idle window clear
 * of that.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/steady.ts [--idle-s 60] [--resync-ms 5000] [--log-level debug]
 */
import {
  demoIop,
  flag,
  healthy,
  main,
  ms,
  reconciles,
  report,
  requestsByVerb,
  sleep,
  verbDelta,
} from './support.js';
import { isDeepStrictEqual } from 'node:util';
import { WRITE_VERBS, type Verb } from '../src/kube/client.js';

const IDLE_MS = flag('--idle-s', 60) * 1000;
const RESYNC_MS = flag('--resync-ms', 5000);

const writes = (before: Record<Verb, number>, after: Record<Verb, number>) =>
  WRITE_VERBS.reduce((n, v) => n + after[v] - before[v], 0);

main('steady: API requests of an idle operator', 10 * 60_000, async (env) => {
  const ns = await env.namespace('istio-system');
  const first = await env.startOperator();
  await env.client.apply(demoIop(ns, 'demo'));
  await env.iops.until('HEALTHY', () => healthy(env.iops.get('demo', ns)), 120_000);
  await env.quiet(first);

  // Status changes in a window say what its writes were, if any.
  const changes: string[] = [];
  let since = 0;
  const statusLog = (start: boolean) => {
    since = start ? performance.now() : 0;
    if (!start && changes.length)
      console.log(`status changes in the window:\n${changes.join('\n')}`);
    if (!start) changes.length = 0;
  };
  env.iops.informer.onUpdate((a, b) => {
    if (since && !isDeepStrictEqual(a.status, b.status))
      changes.push(
        `  +${ms(performance.now() - since)} status ${a.status?.status} -> ${b.status?.status}: ${b.status?.message}`,
      );
  });
  let before = requestsByVerb(first);
  let r0 = reconciles(first);
  statusLog(true);
  await sleep(IDLE_MS);
  statusLog(false);
  let after = requestsByVerb(first);
  let w = writes(before, after);
  console.log(
    `idle ${IDLE_MS / 1000} s: ${verbDelta(before, after)}; reconciles ${reconciles(first) - r0}`,
  );
  report(`idle ${IDLE_MS / 1000} s`, `${w} writes`, '0 writes', w === 0);
  await env.stopOperator(first);

  const t0 = performance.now();
  statusLog(true);
  const second = await env.startOperator({ resyncMs: RESYNC_MS });
  const zero = requestsByVerb(second);
  for (const v of Object.keys(zero) as Verb[]) zero[v] = 0;
  await env.quiet(second);
  statusLog(false);
  after = requestsByVerb(second);
  w = writes(zero, after);
  console.log(
    `restart -> idle in ${Math.round(performance.now() - t0)} ms: ${verbDelta(zero, after)}; reconciles ${reconciles(second)}`,
  );
  report('restart', `${w} writes`, '0 writes', w === 0);

  before = requestsByVerb(second);
  r0 = reconciles(second);
  statusLog(true);
  await sleep(3 * RESYNC_MS);
  await env.quiet(second);
  statusLog(false);
  after = requestsByVerb(second);
  w = writes(before, after);
  const r = reconciles(second) - r0;
  console.log(
    `resync every ${RESYNC_MS} ms (±10%), window ${(3 * RESYNC_MS) / 1000} s: ${verbDelta(before, after)}; reconciles ${r}${r === 0 ? ' (no resync happened: the figure proves nothing)' : ''}`,
  );
  report('resync', `${w} writes`, '0 writes', w === 0);
});
