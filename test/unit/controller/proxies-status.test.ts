import assert from 'node:assert/strict';
import {
  LISTED_WORKLOADS,
  PROXIES_CONDITION,
  proxiesCondition,
  proxiesStatus,
  withoutProxies,
  withProxies,
} from '../../../src/controller/proxies-status.js';
import { computeStatus } from '../../../src/controller/status.js';
import type { RevisionWorkloads, StaleWorkload } from '../../../src/workloads/stale.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';

const stale = (name: string, current = [{ revision: 'default', version: '1.27.9' }]) =>
  ({
    namespace: 'app',
    kind: 'Deployment',
    name,
    pods: 2,
    stalePods: 2,
    current,
    wanted: { revision: 'canary', version: '1.27.9' },
  }) satisfies StaleWorkload;

const report = (workloads: StaleWorkload[], pods = 10): RevisionWorkloads => ({
  revision: 'canary',
  version: '1.27.9',
  pods,
  stalePods: workloads.reduce((n, w) => n + w.stalePods, 0),
  workloads,
});

describe('proxies status (the proxies loop)', () => {
  it('counts pods and names the first few stale workloads with from → to', () => {
    const ws = Array.from({ length: 7 }, (_, i) => stale(`web-${i}`));
    ws[0] = stale('web-0', [
      { revision: '', version: '' },
      { revision: 'default', version: '1.26.3' },
    ]);
    const p = proxiesStatus(report(ws, 20));
    assert.equal(p.pods, 20);
    assert.equal(p.stalePods, 14);
    assert.equal(p.staleWorkloads, 7);
    assert.equal(p.workloads?.length, LISTED_WORKLOADS);
    assert.deepEqual(p.workloads?.[0], {
      namespace: 'app',
      kind: 'Deployment',
      name: 'web-0',
      pods: 2,
      stalePods: 2,
      from: 'none,default@1.26.3',
      to: 'canary@1.27.9',
    });
  });

  it('is True when no pod is stale, and False naming the opt-in when some are and none is asked for', () => {
    const current = proxiesCondition(proxiesStatus(report([], 4)), 2);
    assert.equal(current.type, PROXIES_CONDITION);
    assert.equal(current.status, 'True');
    assert.equal(current.reason, 'Current');
    assert.equal(current.observedGeneration, 2);
    const old = proxiesCondition(proxiesStatus(report([stale('web')], 4)), 2);
    assert.equal(old.status, 'False');
    assert.equal(old.reason, 'StaleProxies');
    assert.match(old.message, /2 of 4 pod\(s\) in 1 workload\(s\)/);
    assert.match(old.message, /install\.istio\.io\/restart-workloads/);
  });

  it('says Restarting while a restart runs and RestartStopped with its message once it stopped', () => {
    const r = report([stale('web')]);
    const running = proxiesCondition(
      proxiesStatus(r, { phase: 'RollingOut', message: 'restarting Deployment app/web' }),
      1,
    );
    assert.equal(running.reason, 'Restarting');
    assert.match(running.message, /restarting Deployment app\/web/);
    const stopped = proxiesCondition(
      proxiesStatus(r, { phase: 'Stopped', message: 'Deployment app/web did not complete' }),
      1,
    );
    assert.deepEqual(
      [stopped.status, stopped.reason, stopped.message],
      ['False', 'RestartStopped', 'Deployment app/web did not complete'],
    );
  });

  it('returns the same status object when nothing changes, so the loop writes only on change', () => {
    const base = computeStatus(
      undefined,
      1,
      { kind: 'applied', components: [], pruneErrors: [] },
      T0,
    );
    const once = withProxies(base, proxiesStatus(report([stale('web')])), 1, T0);
    assert.notEqual(once, base);
    const twice = withProxies(once, proxiesStatus(report([stale('web')])), 1, T1);
    assert.equal(twice, once);
    // The flip keeps the other conditions and dates only the one that flipped.
    const fixed = withProxies(once, proxiesStatus(report([])), 1, T1);
    const c = fixed.conditions!.find((x) => x.type === PROXIES_CONDITION)!;
    assert.equal(c.status, 'True');
    assert.equal(c.lastTransitionTime, T1);
    assert.deepEqual(
      fixed.conditions!.map((x) => x.type),
      ['Ready', 'Reconciling', 'Stalled', PROXIES_CONDITION],
    );
  });

  it('survives the install loop rewriting status (computeStatus carries proxies over)', () => {
    const base = computeStatus(undefined, 1, { kind: 'reconciling' }, T0);
    const withP = withProxies(base, proxiesStatus(report([stale('web')])), 1, T0);
    const after = computeStatus(withP, 1, { kind: 'applied', components: [], pruneErrors: [] }, T1);
    assert.deepEqual(after.proxies, withP.proxies);
    assert.ok(after.conditions!.some((c) => c.type === PROXIES_CONDITION));
  });

  it('drops the field and its condition for an IstioOperator without Pilot', () => {
    const base = computeStatus(undefined, 1, { kind: 'reconciling' }, T0);
    assert.equal(withoutProxies(base), base);
    const withP = withProxies(base, proxiesStatus(report([])), 1, T0);
    const without = withoutProxies(withP);
    assert.equal(without.proxies, undefined);
    assert.ok(!without.conditions!.some((c) => c.type === PROXIES_CONDITION));
  });
});
