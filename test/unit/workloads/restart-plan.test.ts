import assert from 'node:assert/strict';
import {
  planRestart,
  restartMarker,
  restartPatch,
  workloadKey,
  type PlanDecision,
  type PlanInput,
  type RestartTarget,
} from '../../../src/workloads/restart-plan.js';
import type { WorkloadObjectView } from '../../../src/workloads/rollout.js';
import type { StaleWorkload } from '../../../src/workloads/stale.js';

const T: RestartTarget = { revision: 'canary', version: '1.31.4' };
const MARK = 'canary@1.31.4';
const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const FOR = 'install.istio.io/restarted-for';
const AT = 'kubectl.kubernetes.io/restartedAt';

/** A stale workload of the report, its pods on 1.31.3. */
function stale(ns: string, kind: string, name: string, stalePods = 1): StaleWorkload {
  return {
    namespace: ns,
    kind,
    name,
    pods: stalePods,
    stalePods,
    current: [{ revision: 'canary', version: '1.31.3' }],
    wanted: { revision: 'canary', version: '1.31.4' },
  };
}

interface ObjOpts {
  /** Restarted for this target (true), another one (a marker), or not at all. */
  marked?: boolean | string;
  /** ms before NOW it was restarted (default 5 s). */
  ago?: number;
  restartedAt?: string;
  rolling?: boolean;
  deadlineExceeded?: boolean;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  progressDeadlineSeconds?: number;
}

/** A workload object, its rollout complete unless `rolling`. */
function obj(ns: string, kind: string, name: string, o: ObjOpts = {}): WorkloadObjectView {
  const templateAnnotations: Record<string, string> = {};
  if (o.marked) {
    templateAnnotations[FOR] = o.marked === true ? MARK : o.marked;
    templateAnnotations[AT] = o.restartedAt ?? new Date(NOW - (o.ago ?? 5000)).toISOString();
  }
  const n = o.rolling ? 1 : 2;
  const status: Record<string, unknown> =
    kind === 'DaemonSet'
      ? { desiredNumberScheduled: 2, updatedNumberScheduled: n, numberAvailable: 2 }
      : kind === 'StatefulSet'
        ? {
            readyReplicas: 2,
            updatedReplicas: n,
            currentRevision: 'a',
            updateRevision: o.rolling ? 'b' : 'a',
          }
        : { replicas: 2, updatedReplicas: n, availableReplicas: n };
  if (o.deadlineExceeded) {
    status['conditions'] = [
      {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: 'timed out',
      },
    ];
  }
  return {
    namespace: ns,
    kind,
    name,
    labels: { ...o.labels },
    annotations: { ...o.annotations },
    templateAnnotations,
    generation: 3,
    observedGeneration: 3,
    replicas: 2,
    ...(o.progressDeadlineSeconds !== undefined
      ? { progressDeadlineSeconds: o.progressDeadlineSeconds }
      : {}),
    status,
  };
}

const objects = (...views: WorkloadObjectView[]) =>
  new Map<string, WorkloadObjectView | null>(views.map((v) => [workloadKey(v), v]));

function plan(over: Partial<PlanInput>): PlanDecision {
  return planRestart({
    policy: { batch: 5, pauseMs: 0 },
    target: T,
    stale: [],
    objects: new Map(),
    inFlight: [],
    controlPlaneHealthy: true,
    now: NOW,
    ...over,
  });
}

const names = (d: PlanDecision) => d.restart.map(workloadKey);

describe('workloads: restart markers and patches', () => {
  it('marks a restart with revision@version', () => {
    assert.equal(restartMarker(T), 'canary@1.31.4');
    assert.equal(restartMarker({ revision: 'default', version: '1.30.0' }), 'default@1.30.0');
  });

  it('keys a workload as namespace/Kind/name', () => {
    assert.equal(
      workloadKey({ namespace: 'shop', kind: 'Deployment', name: 'web' }),
      'shop/Deployment/web',
    );
  });

  it('patches the pod template as kubectl rollout restart does, plus the marker', () => {
    assert.deepEqual(restartPatch(T, NOW), {
      spec: {
        template: {
          metadata: {
            annotations: {
              'kubectl.kubernetes.io/restartedAt': '2025-06-01T12:00:00.000Z',
              'install.istio.io/restarted-for': 'canary@1.31.4',
            },
          },
        },
      },
    });
  });
});

describe('workloads: planning the restart of stale workloads', () => {
  const seven = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => stale('shop', 'Deployment', n));

  it('restarts the first batch of stale workloads in report order', () => {
    const s = [
      stale('b', 'StatefulSet', 'db'),
      stale('a', 'Deployment', 'z'),
      stale('a', 'DaemonSet', 'y'),
    ];
    const d = plan({
      policy: { batch: 2, pauseMs: 0 },
      stale: s,
      objects: objects(...s.map((w) => obj(w.namespace, w.kind, w.name))),
    });
    assert.equal(d.phase, 'RollingOut');
    assert.deepEqual(names(d), ['b/StatefulSet/db', 'a/Deployment/z']);
    assert.deepEqual(d.restart[0], { namespace: 'b', kind: 'StatefulSet', name: 'db' });
    assert.deepEqual(d.inFlight, ['a/Deployment/z', 'b/StatefulSet/db']);
    assert.equal(d.requeueAfterMs, 2000);
    assert.equal(d.batchCompleted, false);
    assert.equal(d.failed, undefined);
    assert.equal(
      d.message,
      'restarting b/StatefulSet/db, a/Deployment/z for canary@1.31.4; 1 workload(s) left to restart',
    );
  });

  it('restarts at most policy.batch workloads', () => {
    for (const batch of [1, 3, 5, 100]) {
      const d = plan({
        policy: { batch, pauseMs: 0 },
        stale: seven,
        objects: objects(...seven.map((w) => obj('shop', 'Deployment', w.name))),
      });
      assert.deepEqual(names(d), seven.slice(0, batch).map(workloadKey), `batch=${batch}`);
    }
  });

  it('never restarts a marked workload again: it counts as in flight, found among the stale ones after a status loss', () => {
    const s = [stale('shop', 'Deployment', 'a'), stale('shop', 'Deployment', 'b')];
    for (const rolling of [true, false]) {
      const d = plan({
        stale: s,
        objects: objects(
          obj('shop', 'Deployment', 'a', { marked: true, rolling }),
          obj('shop', 'Deployment', 'b'),
        ),
        inFlight: [], // status lost
      });
      assert.deepEqual(d.restart, [], `rolling=${rolling}`);
      assert.deepEqual(d.inFlight, ['shop/Deployment/a']);
      assert.equal(d.phase, 'RollingOut');
      assert.equal(d.requeueAfterMs, 2000);
      assert.equal(d.batchCompleted, false);
    }
  });

  it('names what each in-flight rollout waits for', () => {
    const s = [
      stale('shop', 'Deployment', 'a', 2),
      stale('shop', 'Deployment', 'b'),
      stale('shop', 'Deployment', 'c'),
    ];
    const d = plan({
      stale: s,
      objects: objects(
        obj('shop', 'Deployment', 'a', { marked: true }),
        obj('shop', 'Deployment', 'b', { marked: true, rolling: true }),
        obj('shop', 'Deployment', 'c'),
      ),
      inFlight: ['shop/Deployment/a', 'shop/Deployment/b'],
    });
    assert.equal(
      d.message,
      'restart for canary@1.31.4: waiting for 2 rollout(s): shop/Deployment/a (rollout complete, 2 pod(s) still on an old proxy), shop/Deployment/b (1 of 2 replicas updated); 1 workload(s) left to restart',
    );
  });

  it('a marked workload whose rollout completed and whose pods all run the new proxy is done; the next batch starts', () => {
    const d = plan({
      stale: [stale('shop', 'Deployment', 'b')],
      objects: objects(
        obj('shop', 'Deployment', 'a', { marked: true }),
        obj('shop', 'Deployment', 'b'),
      ),
      inFlight: ['shop/Deployment/a'],
    });
    assert.equal(d.batchCompleted, true);
    assert.deepEqual(names(d), ['shop/Deployment/b']);
    assert.deepEqual(d.inFlight, ['shop/Deployment/b']);
    assert.equal(d.phase, 'RollingOut');
  });

  it('a completed rollout whose pods still run an old proxy stays in flight until the timeout, then fails with a hint', () => {
    const s = [stale('shop', 'Deployment', 'web', 2), stale('shop', 'Deployment', 'x')];
    const within = plan({
      stale: s,
      objects: objects(
        obj('shop', 'Deployment', 'web', { marked: true, ago: 600_000 }),
        obj('shop', 'Deployment', 'x'),
      ),
      inFlight: ['shop/Deployment/web'],
    });
    assert.equal(within.phase, 'RollingOut');
    assert.deepEqual(within.inFlight, ['shop/Deployment/web']);
    assert.equal(within.failed, undefined);
    const after = plan({
      stale: s,
      objects: objects(
        obj('shop', 'Deployment', 'web', { marked: true, ago: 600_001 }),
        obj('shop', 'Deployment', 'x'),
      ),
      inFlight: ['shop/Deployment/web'],
    });
    assert.equal(after.phase, 'Stopped');
    assert.deepEqual(after.restart, []);
    assert.deepEqual(after.inFlight, ['shop/Deployment/web']);
    assert.deepEqual(after.failed, {
      workload: { namespace: 'shop', kind: 'Deployment', name: 'web' },
      message:
        "rollout of Deployment shop/web completed but 2 pod(s) still run an old proxy — is the namespace still selected by this revision's injector?",
    });
    assert.equal(after.batchCompleted, false);
    assert.equal(after.requeueAfterMs, 10_000);
    assert.ok(after.message.startsWith(after.failed.message), after.message);
    assert.match(
      after.message,
      /no further batch starts until it completes; 1 workload\(s\) left to restart$/,
    );
  });

  it('a failed rollout (ProgressDeadlineExceeded) stops the restart at once', () => {
    const d = plan({
      stale: [stale('shop', 'Deployment', 'web'), stale('shop', 'Deployment', 'x')],
      objects: objects(
        obj('shop', 'Deployment', 'web', { marked: true, rolling: true, deadlineExceeded: true }),
        obj('shop', 'Deployment', 'x'),
      ),
      inFlight: ['shop/Deployment/web'],
    });
    assert.equal(d.phase, 'Stopped');
    assert.deepEqual(d.restart, []);
    assert.equal(
      d.failed?.message,
      'rollout of Deployment shop/web failed: progress deadline exceeded: timed out',
    );
  });

  it('goes on by itself once a failed rollout completes', () => {
    const d = plan({
      stale: [stale('shop', 'Deployment', 'x')],
      objects: objects(
        obj('shop', 'Deployment', 'web', { marked: true, ago: 3_600_000 }),
        obj('shop', 'Deployment', 'x'),
      ),
      inFlight: ['shop/Deployment/web'],
    });
    assert.equal(d.failed, undefined);
    assert.equal(d.batchCompleted, true);
    assert.deepEqual(names(d), ['shop/Deployment/x']);
  });

  describe('rollout timeouts', () => {
    const cases: [string, WorkloadObjectView, number | undefined, string | undefined][] = [
      [
        'policy timeout not yet passed',
        obj('n', 'Deployment', 'w', { marked: true, rolling: true, ago: 60_000 }),
        60_000,
        undefined,
      ],
      [
        'policy timeout passed',
        obj('n', 'Deployment', 'w', { marked: true, rolling: true, ago: 60_001 }),
        60_000,
        'rollout of Deployment n/w did not complete within 1m: 1 of 2 replicas updated',
      ],
      [
        'policy timeout wins over progressDeadlineSeconds',
        obj('n', 'Deployment', 'w', {
          marked: true,
          rolling: true,
          ago: 60_001,
          progressDeadlineSeconds: 900,
        }),
        60_000,
        'rollout of Deployment n/w did not complete within 1m: 1 of 2 replicas updated',
      ],
      [
        'Deployment progressDeadlineSeconds not yet passed',
        obj('n', 'Deployment', 'w', {
          marked: true,
          rolling: true,
          ago: 120_000,
          progressDeadlineSeconds: 120,
        }),
        undefined,
        undefined,
      ],
      [
        'Deployment progressDeadlineSeconds passed',
        obj('n', 'Deployment', 'w', {
          marked: true,
          rolling: true,
          ago: 120_001,
          progressDeadlineSeconds: 120,
        }),
        undefined,
        'rollout of Deployment n/w did not complete within 2m: 1 of 2 replicas updated',
      ],
      [
        'Deployment default deadline 600 s not yet passed',
        obj('n', 'Deployment', 'w', { marked: true, rolling: true, ago: 599_000 }),
        undefined,
        undefined,
      ],
      [
        'Deployment default deadline 600 s passed',
        obj('n', 'Deployment', 'w', { marked: true, rolling: true, ago: 600_001 }),
        undefined,
        'rollout of Deployment n/w did not complete within 10m: 1 of 2 replicas updated',
      ],
      [
        'StatefulSet 10 minutes not yet passed',
        obj('n', 'StatefulSet', 'w', { marked: true, rolling: true, ago: 600_000 }),
        undefined,
        undefined,
      ],
      [
        'StatefulSet 10 minutes passed',
        obj('n', 'StatefulSet', 'w', { marked: true, rolling: true, ago: 600_001 }),
        undefined,
        'rollout of StatefulSet n/w did not complete within 10m: 1 of 2 pods at the updated revision',
      ],
      [
        'DaemonSet 10 minutes passed',
        obj('n', 'DaemonSet', 'w', { marked: true, rolling: true, ago: 600_001 }),
        undefined,
        'rollout of DaemonSet n/w did not complete within 10m: 1 of 2 pods updated',
      ],
      [
        'no readable restartedAt',
        obj('n', 'DaemonSet', 'w', { marked: true, rolling: true, restartedAt: 'yesterday' }),
        undefined,
        'DaemonSet n/w carries no readable kubectl.kubernetes.io/restartedAt, so its rollout cannot be timed; restart it with kubectl rollout restart',
      ],
    ];
    for (const [name, w, timeoutMs, failure] of cases) {
      it(name, () => {
        const d = plan({
          policy: { batch: 5, pauseMs: 0, ...(timeoutMs !== undefined ? { timeoutMs } : {}) },
          objects: objects(w),
          inFlight: [workloadKey(w)],
        });
        assert.deepEqual(d.inFlight, [workloadKey(w)]);
        assert.equal(d.failed?.message, failure);
        assert.equal(d.phase, failure ? 'Stopped' : 'RollingOut');
      });
    }
  });

  it('reports the first failed rollout in key order', () => {
    const a = obj('a', 'Deployment', 'w', { marked: true, rolling: true, deadlineExceeded: true });
    const b = obj('b', 'Deployment', 'w', { marked: true, rolling: true, deadlineExceeded: true });
    const d = plan({
      stale: [stale('b', 'Deployment', 'w')],
      objects: objects(b, a),
      inFlight: ['b/Deployment/w', 'a/Deployment/w'],
    });
    assert.deepEqual(d.failed?.workload, { namespace: 'a', kind: 'Deployment', name: 'w' });
    assert.deepEqual(d.inFlight, ['a/Deployment/w', 'b/Deployment/w']);
  });

  it('drops an in-flight key whose workload is gone or was restarted for another target', () => {
    const other = obj('n', 'Deployment', 'other', { marked: 'canary@1.31.3', rolling: true });
    const d = plan({
      objects: new Map([
        ['n/Deployment/gone', null],
        [workloadKey(other), other],
      ]),
      inFlight: ['n/Deployment/gone', 'n/Deployment/other', 'n/Deployment/never-fetched'],
    });
    assert.deepEqual(d.inFlight, []);
    assert.equal(d.batchCompleted, true);
    assert.equal(d.phase, 'Done');
  });

  describe('skips', () => {
    const cases: [
      string,
      StaleWorkload,
      WorkloadObjectView | null | undefined,
      string | undefined,
    ][] = [
      ['a bare pod', stale('n', 'Pod', 'p'), undefined, 'bare pod'],
      ['a Job', stale('n', 'Job', 'j'), undefined, 'not restartable'],
      [
        'a ReplicaSet without Deployment',
        stale('n', 'ReplicaSet', 'r'),
        undefined,
        'not restartable',
      ],
      [
        'a workload opted out with restart=never',
        stale('n', 'Deployment', 'w'),
        obj('n', 'Deployment', 'w', { annotations: { 'install.istio.io/restart': 'never' } }),
        'opted out',
      ],
      [
        'the operator’s own gateway',
        stale('istio-system', 'Deployment', 'istio-ingressgateway'),
        obj('istio-system', 'Deployment', 'istio-ingressgateway', {
          labels: { 'operator.istio.io/managed': 'Reconcile' },
        }),
        'managed by the operator',
      ],
      ['a workload gone (404)', stale('n', 'StatefulSet', 's'), null, 'not found'],
      ['a workload the caller did not fetch', stale('n', 'DaemonSet', 'd'), undefined, 'not found'],
      [
        'no skip: restart=always is no opt-out',
        stale('n', 'Deployment', 'w'),
        obj('n', 'Deployment', 'w', { annotations: { 'install.istio.io/restart': 'always' } }),
        undefined,
      ],
      [
        'no skip: other labels',
        stale('n', 'Deployment', 'w'),
        obj('n', 'Deployment', 'w', { labels: { app: 'w' } }),
        undefined,
      ],
    ];
    for (const [name, w, o, reason] of cases) {
      it(name, () => {
        const m = new Map<string, WorkloadObjectView | null>();
        if (o !== undefined) m.set(workloadKey(w), o);
        const d = plan({ stale: [w], objects: m });
        if (reason) {
          assert.deepEqual(d.skipped, [
            { workload: { namespace: w.namespace, kind: w.kind, name: w.name }, reason },
          ]);
          assert.deepEqual(d.restart, []);
          assert.equal(d.phase, 'Done');
        } else {
          assert.deepEqual(d.skipped, []);
          assert.deepEqual(names(d), [workloadKey(w)]);
        }
      });
    }

    it('a marked workload opted out later is no longer waited for', () => {
      const w = stale('n', 'Deployment', 'w');
      const d = plan({
        stale: [w],
        objects: objects(
          obj('n', 'Deployment', 'w', {
            marked: true,
            rolling: true,
            annotations: { 'install.istio.io/restart': 'never' },
          }),
        ),
        inFlight: ['n/Deployment/w'],
      });
      assert.deepEqual(d.inFlight, []);
      assert.equal(d.skipped[0]?.reason, 'opted out');
    });
  });

  describe('pause between batches', () => {
    const s = [stale('shop', 'Deployment', 'a')];
    const o = objects(obj('shop', 'Deployment', 'a'));
    const policy = { batch: 5, pauseMs: 30_000 };

    it('waits out the pause after the last batch', () => {
      const d = plan({ policy, stale: s, objects: o, lastBatchDoneAt: NOW - 10_000 });
      assert.equal(d.phase, 'Paused');
      assert.equal(d.requeueAfterMs, 20_000);
      assert.deepEqual(d.restart, []);
      assert.equal(
        d.message,
        'pausing 20s before the next batch (batch=5,pause=30s); 1 workload(s) left to restart',
      );
    });

    it('starts the next batch once the pause has passed', () => {
      const d = plan({ policy, stale: s, objects: o, lastBatchDoneAt: NOW - 30_000 });
      assert.equal(d.phase, 'RollingOut');
      assert.deepEqual(names(d), ['shop/Deployment/a']);
    });

    it('starts the first batch without a pause when no batch completed yet', () => {
      const d = plan({ policy, stale: s, objects: o });
      assert.deepEqual(names(d), ['shop/Deployment/a']);
    });

    it('a batch completing in this plan starts the pause now', () => {
      const d = plan({
        policy,
        stale: s,
        objects: objects(
          obj('shop', 'Deployment', 'a'),
          obj('shop', 'Deployment', 'done', { marked: true }),
        ),
        inFlight: ['shop/Deployment/done'],
        lastBatchDoneAt: NOW - 3_600_000,
      });
      assert.equal(d.batchCompleted, true);
      assert.equal(d.phase, 'Paused');
      assert.equal(d.requeueAfterMs, 30_000);
      assert.deepEqual(d.restart, []);
      assert.deepEqual(d.inFlight, []);
    });
  });

  describe('control plane not healthy', () => {
    it('starts no batch', () => {
      const d = plan({
        stale: seven,
        objects: objects(...seven.map((w) => obj('shop', 'Deployment', w.name))),
        controlPlaneHealthy: false,
      });
      assert.equal(d.phase, 'WaitingForControlPlane');
      assert.deepEqual(d.restart, []);
      assert.deepEqual(d.inFlight, []);
      assert.equal(d.requeueAfterMs, 5000);
      assert.equal(
        d.message,
        'waiting for the control plane to be HEALTHY before restarting 7 more workload(s) for canary@1.31.4',
      );
    });

    it('still follows the rollouts in flight', () => {
      const d = plan({
        stale: [stale('shop', 'Deployment', 'a')],
        objects: objects(obj('shop', 'Deployment', 'a', { marked: true, rolling: true })),
        controlPlaneHealthy: false,
      });
      assert.equal(d.phase, 'WaitingForControlPlane');
      assert.deepEqual(d.inFlight, ['shop/Deployment/a']);
      assert.match(
        d.message,
        /waiting for 1 rollout\(s\): shop\/Deployment\/a \(1 of 2 replicas updated\)$/,
      );
    });

    it('still reports a failed rollout', () => {
      const d = plan({
        stale: [stale('shop', 'Deployment', 'a'), stale('shop', 'Deployment', 'b')],
        objects: objects(
          obj('shop', 'Deployment', 'a', { marked: true, rolling: true, deadlineExceeded: true }),
          obj('shop', 'Deployment', 'b'),
        ),
        controlPlaneHealthy: false,
      });
      assert.equal(d.phase, 'WaitingForControlPlane');
      assert.deepEqual(d.restart, []);
      assert.equal(
        d.failed?.message,
        'rollout of Deployment shop/a failed: progress deadline exceeded: timed out',
      );
      assert.match(d.message, /; rollout of Deployment shop\/a failed/);
    });

    it('a batch completing while unhealthy is still recorded', () => {
      const d = plan({
        stale: [stale('shop', 'Deployment', 'b')],
        objects: objects(
          obj('shop', 'Deployment', 'a', { marked: true }),
          obj('shop', 'Deployment', 'b'),
        ),
        inFlight: ['shop/Deployment/a'],
        controlPlaneHealthy: false,
      });
      assert.equal(d.batchCompleted, true);
      assert.deepEqual(d.restart, []);
    });
  });

  describe('done', () => {
    it('when nothing is stale', () => {
      const d = plan({});
      assert.deepEqual(d, {
        phase: 'Done',
        message: 'every restartable workload runs the wanted proxy',
        inFlight: [],
        restart: [],
        skipped: [],
        batchCompleted: false,
      });
    });

    it('counts what it left alone', () => {
      const d = plan({
        stale: [stale('a', 'Deployment', 'opt'), stale('a', 'Pod', 'p')],
        objects: objects(
          obj('a', 'Deployment', 'opt', { annotations: { 'install.istio.io/restart': 'never' } }),
        ),
      });
      assert.equal(d.phase, 'Done');
      assert.equal(d.requeueAfterMs, undefined);
      assert.equal(
        d.message,
        'every restartable workload runs the wanted proxy; 1 bare pod and 1 opted-out workload left as they are',
      );
    });

    it('counts in plurals', () => {
      const d = plan({
        stale: [
          stale('a', 'Pod', 'p1'),
          stale('a', 'Pod', 'p2'),
          stale('a', 'Job', 'j'),
          stale('a', 'Deployment', 'gone'),
        ],
        objects: new Map([['a/Deployment/gone', null]]),
      });
      assert.equal(
        d.message,
        'every restartable workload runs the wanted proxy; 2 bare pods, 1 workload of a kind without rollouts and 1 workload not found left as they are',
      );
    });

    it('also while the control plane is not healthy: nothing is left to do', () => {
      assert.equal(plan({ controlPlaneHealthy: false }).phase, 'Done');
    });

    it('marks the batch completed when the last rollout completes', () => {
      const d = plan({
        objects: objects(obj('shop', 'Deployment', 'a', { marked: true })),
        inFlight: ['shop/Deployment/a'],
      });
      assert.equal(d.phase, 'Done');
      assert.equal(d.batchCompleted, true);
    });
  });

  it('is deterministic: no clock but input.now, no change to its input', () => {
    const s = [stale('shop', 'Deployment', 'a'), stale('shop', 'Deployment', 'b')];
    const input: PlanInput = {
      policy: { batch: 1, pauseMs: 0, timeoutMs: 60_000 },
      target: T,
      stale: s,
      objects: objects(
        obj('shop', 'Deployment', 'a', { marked: true, rolling: true }),
        obj('shop', 'Deployment', 'b'),
      ),
      inFlight: ['shop/Deployment/a'],
      controlPlaneHealthy: true,
      now: NOW,
    };
    const before = JSON.stringify({ ...input, objects: [...input.objects] });
    const realNow = Date.now;
    Date.now = () => {
      throw new Error('the planner read the clock');
    };
    let first: PlanDecision;
    let second: PlanDecision;
    try {
      first = planRestart(input);
      second = planRestart(input);
    } finally {
      Date.now = realNow;
    }
    assert.deepEqual(first, second);
    assert.equal(JSON.stringify({ ...input, objects: [...input.objects] }), before);
    // Only input.now moves the timeout.
    assert.equal(planRestart({ ...input, now: NOW + 61_000 }).phase, 'Stopped');
  });

  it('walks a whole restart in batches, each workload restarted once', () => {
    const names7 = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const world = new Map(
      names7.map((n) => [`shop/Deployment/${n}`, obj('shop', 'Deployment', n)]),
    );
    let staleNow = names7.map((n) => stale('shop', 'Deployment', n));
    let inFlight: string[] = [];
    let lastBatchDoneAt: number | undefined;
    const batches: string[][] = [];
    const restarted: string[] = [];
    let now = NOW;
    let d: PlanDecision | undefined;
    for (let step = 0; step < 30; step++) {
      d = plan({
        policy: { batch: 3, pauseMs: 10_000 },
        stale: staleNow,
        objects: world,
        inFlight,
        now,
        ...(lastBatchDoneAt !== undefined ? { lastBatchDoneAt } : {}),
      });
      if (d.phase === 'Done') break;
      assert.ok(d.phase === 'RollingOut' || d.phase === 'Paused', `${d.phase}: ${d.message}`);
      if (d.batchCompleted) lastBatchDoneAt = now;
      if (d.restart.length > 0) batches.push(names(d));
      for (const r of d.restart) {
        const key = workloadKey(r);
        restarted.push(key);
        // What the API server does with the patch: a new generation, not yet observed.
        const w = world.get(key)!;
        const patch = restartPatch(T, now) as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        };
        world.set(key, {
          ...w,
          templateAnnotations: {
            ...w.templateAnnotations,
            ...patch.spec.template.metadata.annotations,
          },
          generation: w.generation! + 1,
        });
      }
      inFlight = d.inFlight;
      // A second plan right away (another reconcile) restarts nothing more.
      assert.deepEqual(
        plan({
          policy: { batch: 3, pauseMs: 10_000 },
          stale: staleNow,
          objects: world,
          inFlight,
          now,
          ...(lastBatchDoneAt !== undefined ? { lastBatchDoneAt } : {}),
        }).restart,
        [],
      );
      // Then the Deployment controller rolls them out and the new pods carry the new proxy.
      for (const key of inFlight) {
        const w = world.get(key)!;
        world.set(key, { ...w, observedGeneration: w.generation! });
        staleNow = staleNow.filter((s) => workloadKey(s) !== key);
      }
      now += 4000;
    }
    assert.equal(d?.phase, 'Done');
    assert.deepEqual(batches, [
      ['shop/Deployment/a', 'shop/Deployment/b', 'shop/Deployment/c'],
      ['shop/Deployment/d', 'shop/Deployment/e', 'shop/Deployment/f'],
      ['shop/Deployment/g'],
    ]);
    assert.deepEqual(
      [...restarted].sort(),
      names7.map((n) => `shop/Deployment/${n}`),
    );
  });
});
