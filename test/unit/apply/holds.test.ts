import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { holdReason, type RolloutHold } from '../../../src/apply/holds.js';
import type { LiveState } from '../../../src/apply/live.js';

const hold: RolloutHold = {
  component: 'IngressGateways',
  workload: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'istio-system',
    name: 'istiod',
  },
  role: 'gateway',
  upgrading: [{ object: 'Deployment istio-system/istio-ingressgateway', version: '1.28.0' }],
};

const istiod = (version: string, ready: boolean): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'istiod',
      namespace: 'istio-system',
      generation: 2,
      labels: { 'operator.istio.io/version': version },
    },
    spec: { replicas: 1 },
    status: {
      observedGeneration: ready ? 2 : 1,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
    },
  }) as KubernetesObject;

const liveWith = (o?: KubernetesObject): LiveState => ({
  get: (_, kind, ns, name) =>
    o && o.kind === kind && o.metadata?.namespace === ns && o.metadata?.name === name
      ? o
      : undefined,
  ownedBy: () => [],
  ownerExists: () => Promise.resolve(true),
});

describe('rollout holds (apply/holds.ts)', () => {
  const waiting =
    'waiting for Deployment istio-system/istiod to finish rolling out before upgrading Deployment istio-system/istio-ingressgateway';

  it('holds nothing without the workload (an external control plane)', () => {
    assert.equal(holdReason(hold, liveWith()), undefined);
  });

  it('holds while the workload rolls out', () => {
    assert.equal(holdReason(hold, liveWith(istiod('1.28.0', false))), waiting);
  });

  it('holds while the workload runs an older version than the upgrade moves to', () => {
    assert.equal(
      holdReason(hold, liveWith(istiod('1.27.3', true))),
      `${waiting} (it runs 1.27.3; the gateway moves to 1.28.0)`,
    );
  });

  it('lets the component go once the workload rolled out the version', () => {
    assert.equal(holdReason(hold, liveWith(istiod('1.28.0', true))), undefined);
    assert.equal(holdReason(hold, liveWith(istiod('1.28.1', true))), undefined);
  });
});
