import assert from 'node:assert/strict';
import {
  computeStatus,
  sameStatus,
  type ReconcileOutcome,
} from '../../../src/controller/status.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const healthy: ReconcileOutcome = {
  kind: 'applied',
  components: [
    { name: 'Base', ready: true, waitingFor: [] },
    { name: 'Pilot', ready: true, waitingFor: [] },
  ],
  pruneErrors: [],
};
const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe('status computation', () => {
  it('reports HEALTHY with Ready=True, Reconciling=False, Stalled=False and per-component status', () => {
    const s = computeStatus(undefined, 3, '1.27.9', healthy, T0);
    assert.equal(s.status, 'HEALTHY');
    assert.equal(s.observedGeneration, 3);
    assert.deepEqual(s.componentStatus, {
      Base: { status: 'HEALTHY', version: '1.27.9' },
      Pilot: { status: 'HEALTHY', version: '1.27.9' },
    });
    assert.deepEqual(
      s.conditions?.map((c) => [c.type, c.status, c.observedGeneration]),
      [
        ['Ready', 'True', 3],
        ['Reconciling', 'False', 3],
        ['Stalled', 'False', 3],
      ],
    );
  });

  it('is identical when computed again from the same outcome, even later (nothing to write)', () => {
    const a = computeStatus(undefined, 3, '1.27.9', healthy, T0);
    const b = computeStatus(a, 3, '1.27.9', healthy, T1);
    assert.ok(sameStatus(a, b));
  });

  it('moves lastTransitionTime only for the conditions that flip', () => {
    const a = computeStatus(undefined, 3, '1.27.9', healthy, T0);
    const rolling = computeStatus(
      a,
      4,
      '1.27.9',
      {
        ...healthy,
        components: [
          {
            name: 'Pilot',
            ready: false,
            waitingFor: ['Deployment istio-system/istiod: 0/1 available, 1 updated'],
          },
        ],
      },
      T1,
    );
    assert.equal(rolling.status, 'UPDATING');
    assert.match(rolling.message ?? '', /waiting for Deployment istio-system\/istiod/);
    assert.equal(cond(rolling, 'Ready')?.lastTransitionTime, T1);
    assert.equal(cond(rolling, 'Reconciling')?.lastTransitionTime, T1);
    assert.equal(cond(rolling, 'Stalled')?.lastTransitionTime, T0, 'Stalled stayed False');
  });

  it('reports an invalid spec as ERROR with Stalled=True carrying every message', () => {
    const s = computeStatus(
      undefined,
      2,
      '1.27.9',
      { kind: 'invalid', messages: ['spec.a: bad', 'spec.b: worse'] },
      T0,
    );
    assert.equal(s.status, 'ERROR');
    assert.equal(cond(s, 'Stalled')?.status, 'True');
    assert.equal(cond(s, 'Stalled')?.message, 'spec.a: bad\nspec.b: worse');
    assert.equal(cond(s, 'Ready')?.status, 'False');
  });

  it('clears an earlier ERROR once an apply succeeds (never latches)', () => {
    const failed = computeStatus(
      undefined,
      2,
      '1.27.9',
      {
        kind: 'applied',
        components: [
          { name: 'Pilot', ready: false, waitingFor: [], error: 'apply Deployment x: Invalid 422' },
        ],
        pruneErrors: [],
      },
      T0,
    );
    assert.equal(failed.status, 'ERROR');
    assert.equal(failed.componentStatus?.Pilot?.error, 'apply Deployment x: Invalid 422');
    const ok = computeStatus(failed, 2, '1.27.9', healthy, T1);
    assert.equal(ok.status, 'HEALTHY');
    assert.equal(ok.componentStatus?.Pilot?.error, undefined);
    assert.equal(cond(ok, 'Stalled')?.status, 'False');
  });

  it('keeps the conditions untouched for an ignored IstioOperator', () => {
    const a = computeStatus(undefined, 1, '1.27.9', healthy, T0);
    const ignored = computeStatus(a, 2, '1.27.9', { kind: 'ignored' }, T1);
    assert.deepEqual(ignored.conditions, a.conditions);
    assert.match(ignored.message ?? '', /ignoreReconcile/);
  });
});
