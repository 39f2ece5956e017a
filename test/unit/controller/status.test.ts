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
    { name: 'Base', ready: true, waitingFor: [], version: '1.27.9' },
    { name: 'Pilot', ready: true, waitingFor: [], version: '1.27.9' },
  ],
  pruneErrors: [],
};
const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe('status computation', () => {
  it('reports HEALTHY with Ready=True, Reconciling=False, Stalled=False and per-component status', () => {
    const s = computeStatus(undefined, 3, healthy, T0);
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
    const a = computeStatus(undefined, 3, healthy, T0);
    const b = computeStatus(a, 3, healthy, T1);
    assert.ok(sameStatus(a, b));
  });

  it('moves lastTransitionTime only for the conditions that flip', () => {
    const a = computeStatus(undefined, 3, healthy, T0);
    const rolling = computeStatus(
      a,
      4,
      {
        ...healthy,
        components: [
          {
            name: 'Pilot',
            ready: false,
            waitingFor: ['Deployment istio-system/istiod: 0/1 available, 1 updated'],
            version: '1.28.0',
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
    assert.equal(rolling.componentStatus?.Pilot?.version, '1.27.9', 'still runs the old version');
    const rolled = computeStatus(
      rolling,
      4,
      {
        ...healthy,
        components: [{ name: 'Pilot', ready: true, waitingFor: [], version: '1.28.0' }],
      },
      T1,
    );
    assert.equal(rolled.componentStatus?.Pilot?.version, '1.28.0');
  });

  it('reports a refused version change as ERROR, and a deletion waiting for workloads as ACTION_REQUIRED, both Stalled', () => {
    const skew = computeStatus(
      undefined,
      5,
      { kind: 'version-skew', messages: ['spec.tag: no'] },
      T0,
    );
    assert.equal(skew.status, 'ERROR');
    assert.equal(cond(skew, 'Stalled')?.reason, 'VersionSkew');
    assert.equal(cond(skew, 'Stalled')?.message, 'spec.tag: no');
    const waiting = computeStatus(skew, 5, { kind: 'revision-in-use', message: 'pod a/b' }, T1);
    assert.equal(waiting.status, 'ACTION_REQUIRED');
    assert.equal(cond(waiting, 'Stalled')?.status, 'True');
    assert.equal(cond(waiting, 'Stalled')?.reason, 'RevisionInUse');
    assert.equal(cond(waiting, 'Ready')?.status, 'False');
  });

  it('reports an invalid spec as ERROR with Stalled=True carrying every message', () => {
    const s = computeStatus(
      undefined,
      2,
      { kind: 'invalid', messages: ['spec.a: bad', 'spec.b: worse'] },
      T0,
    );
    assert.equal(s.status, 'ERROR');
    assert.equal(cond(s, 'Stalled')?.status, 'True');
    assert.equal(cond(s, 'Stalled')?.message, 'spec.a: bad\nspec.b: worse');
    assert.equal(cond(s, 'Ready')?.status, 'False');
  });

  it('reports a renderer failure as the operator’s fault, distinct from an invalid spec', () => {
    const s = computeStatus(undefined, 2, { kind: 'render-failed', message: 'boom' }, T0);
    assert.equal(s.status, 'ERROR');
    assert.equal(cond(s, 'Stalled')?.reason, 'RenderFailed');
    assert.match(s.message ?? '', /a bug in the operator, not in the spec; it retries/);
    assert.match(s.message ?? '', /boom$/);
    const invalid = computeStatus(undefined, 2, { kind: 'invalid', messages: ['x'] }, T0);
    assert.equal(cond(invalid, 'Stalled')?.reason, 'InvalidSpec');
  });

  it('clears an earlier ERROR once an apply succeeds (never latches)', () => {
    const failed = computeStatus(
      undefined,
      2,
      {
        kind: 'applied',
        components: [
          {
            name: 'Pilot',
            ready: false,
            waitingFor: [],
            error: 'apply Deployment x: Invalid 422',
            version: '1.27.9',
          },
        ],
        pruneErrors: [],
      },
      T0,
    );
    assert.equal(failed.status, 'ERROR');
    assert.equal(failed.componentStatus?.Pilot?.error, 'apply Deployment x: Invalid 422');
    const ok = computeStatus(failed, 2, healthy, T1);
    assert.equal(ok.status, 'HEALTHY');
    assert.equal(ok.componentStatus?.Pilot?.error, undefined);
    assert.equal(cond(ok, 'Stalled')?.status, 'False');
  });

  it('lists at most 20 messages and stays within the condition size limit', () => {
    const many = Array.from({ length: 6400 }, (_, i) => `spec.x[${i}]: ${'bad '.repeat(20)}`);
    const s = computeStatus(undefined, 1, { kind: 'invalid', messages: many }, T0);
    const msg = cond(s, 'Stalled')?.message ?? '';
    assert.equal(msg.split('\n').length, 21);
    assert.match(msg, /^spec\.x\[0\]:/);
    assert.match(msg, /… and 6380 more$/);
    const huge = computeStatus(
      undefined,
      1,
      { kind: 'invalid', messages: ['x'.repeat(100_000)] },
      T0,
    );
    assert.ok((cond(huge, 'Stalled')?.message ?? '').length <= 32_768);
  });

  it('keeps the conditions untouched for an ignored IstioOperator', () => {
    const a = computeStatus(undefined, 1, healthy, T0);
    const ignored = computeStatus(a, 2, { kind: 'ignored' }, T1);
    assert.deepEqual(ignored.conditions, a.conditions);
    assert.match(ignored.message ?? '', /ignoreReconcile/);
  });
});
