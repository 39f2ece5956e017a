import assert from 'node:assert/strict';
import { workloadObjectView } from '../../../src/workloads/from-objects.js';
import {
  rolloutState,
  type RolloutState,
  type WorkloadObjectView,
} from '../../../src/workloads/rollout.js';

const view = (
  kind: string,
  status: Record<string, unknown>,
  more: Partial<WorkloadObjectView> = {},
): WorkloadObjectView => ({
  namespace: 'ns',
  kind,
  name: 'w',
  labels: {},
  annotations: {},
  templateAnnotations: {},
  generation: 2,
  observedGeneration: 2,
  status,
  ...more,
});

describe('workloads: rollout status, decided as kubectl rollout status does', () => {
  const done: RolloutState = { state: 'complete' };
  const prog = (message: string): RolloutState => ({ state: 'progressing', message });
  const dep = { replicas: 3 };
  const cases: [string, WorkloadObjectView, RolloutState][] = [
    [
      'Deployment: every replica updated and available',
      view('Deployment', { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, dep),
      done,
    ],
    [
      'Deployment: generation not yet observed (the status predates the restart)',
      view(
        'Deployment',
        { replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
        { ...dep, generation: 3 },
      ),
      prog('waiting for the Deployment controller to observe generation 3'),
    ],
    [
      'Deployment: no observedGeneration at all',
      view('Deployment', {}, { ...dep, observedGeneration: undefined }),
      prog('waiting for the Deployment controller to observe generation 2'),
    ],
    [
      'Deployment: some replicas not updated',
      view('Deployment', { replicas: 4, updatedReplicas: 1, availableReplicas: 3 }, dep),
      prog('1 of 3 replicas updated'),
    ],
    [
      'Deployment: old replicas pending termination',
      view('Deployment', { replicas: 5, updatedReplicas: 3, availableReplicas: 3 }, dep),
      prog('2 old replica(s) pending termination'),
    ],
    [
      'Deployment: updated replicas not yet available',
      view('Deployment', { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }, dep),
      prog('2 of 3 updated replicas available'),
    ],
    [
      'Deployment: spec.replicas absent reads as 1',
      view('Deployment', { replicas: 1, updatedReplicas: 0, availableReplicas: 1 }),
      prog('0 of 1 replicas updated'),
    ],
    ['Deployment: scaled to zero is complete', view('Deployment', {}, { replicas: 0 }), done],
    [
      'Deployment: ProgressDeadlineExceeded fails it',
      view(
        'Deployment',
        {
          replicas: 4,
          updatedReplicas: 1,
          conditions: [
            { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "w-abc" has timed out progressing.',
            },
          ],
        },
        dep,
      ),
      {
        state: 'failed',
        message: 'progress deadline exceeded: ReplicaSet "w-abc" has timed out progressing.',
      },
    ],
    [
      'Deployment: Progressing=True NewReplicaSetAvailable is no failure',
      view(
        'Deployment',
        {
          replicas: 3,
          updatedReplicas: 3,
          availableReplicas: 3,
          conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
        },
        dep,
      ),
      done,
    ],
    [
      'StatefulSet: every pod ready at the update revision',
      view(
        'StatefulSet',
        { readyReplicas: 3, updatedReplicas: 3, currentRevision: 'a', updateRevision: 'a' },
        dep,
      ),
      done,
    ],
    [
      'StatefulSet: pods not ready',
      view(
        'StatefulSet',
        { readyReplicas: 2, updatedReplicas: 3, currentRevision: 'b', updateRevision: 'b' },
        dep,
      ),
      prog('2 of 3 pods ready'),
    ],
    [
      'StatefulSet: rolling, revisions differ and pods left to update',
      view(
        'StatefulSet',
        { readyReplicas: 3, updatedReplicas: 1, currentRevision: 'a', updateRevision: 'b' },
        dep,
      ),
      prog('1 of 3 pods at the updated revision'),
    ],
    [
      'StatefulSet: revisions differ but every pod updated',
      view(
        'StatefulSet',
        { readyReplicas: 3, updatedReplicas: 3, currentRevision: 'a', updateRevision: 'b' },
        dep,
      ),
      done,
    ],
    [
      'StatefulSet: generation not observed',
      view(
        'StatefulSet',
        { readyReplicas: 3, updatedReplicas: 3 },
        { ...dep, observedGeneration: 1 },
      ),
      prog('waiting for the StatefulSet controller to observe generation 2'),
    ],
    [
      'DaemonSet: every scheduled pod updated and available',
      view('DaemonSet', {
        desiredNumberScheduled: 4,
        updatedNumberScheduled: 4,
        numberAvailable: 4,
      }),
      done,
    ],
    [
      'DaemonSet: pods left to update',
      view('DaemonSet', {
        desiredNumberScheduled: 4,
        updatedNumberScheduled: 2,
        numberAvailable: 4,
      }),
      prog('2 of 4 pods updated'),
    ],
    [
      'DaemonSet: updated pods not yet available',
      view('DaemonSet', {
        desiredNumberScheduled: 4,
        updatedNumberScheduled: 4,
        numberAvailable: 3,
      }),
      prog('3 of 4 updated pods available'),
    ],
    ['a Job has no rollout', view('Job', {}), { state: 'failed', message: 'a Job has no rollout' }],
  ];
  for (const [name, w, want] of cases) {
    it(name, () => assert.deepEqual(rolloutState(w), want));
  }
});

describe('workloads: a workload object as the planner reads it', () => {
  it('copies the fields the restart reads', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        namespace: 'shop',
        name: 'web',
        generation: 4,
        labels: { app: 'web' },
        annotations: { 'install.istio.io/restart': 'never' },
      },
      spec: {
        replicas: 3,
        progressDeadlineSeconds: 120,
        template: {
          metadata: {
            annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
          },
        },
      },
      status: { observedGeneration: 4, updatedReplicas: 3 },
    };
    const v = workloadObjectView(obj);
    assert.deepEqual(v, {
      namespace: 'shop',
      kind: 'Deployment',
      name: 'web',
      labels: { app: 'web' },
      annotations: { 'install.istio.io/restart': 'never' },
      templateAnnotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' },
      generation: 4,
      observedGeneration: 4,
      replicas: 3,
      progressDeadlineSeconds: 120,
      status: { observedGeneration: 4, updatedReplicas: 3 },
    });
    // A copy: changing the view leaves the object alone.
    const copy = workloadObjectView(obj);
    copy.labels['x'] = 'y';
    copy.templateAnnotations['x'] = 'y';
    assert.deepEqual(obj.metadata.labels, { app: 'web' });
    assert.equal(Object.keys(obj.spec.template.metadata.annotations).length, 1);
  });

  it('takes the kind from the caller for list items (which carry none) and leaves absent fields out', () => {
    const v = workloadObjectView({ metadata: { namespace: 'a', name: 'b' } }, 'DaemonSet');
    assert.deepEqual(v, {
      namespace: 'a',
      kind: 'DaemonSet',
      name: 'b',
      labels: {},
      annotations: {},
      templateAnnotations: {},
      status: {},
    });
  });
});
