import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { ApplyOutcome, ComponentApplyResult } from '../../../src/apply/applier.js';
import type { LiveState } from '../../../src/apply/live.js';
import {
  applyIncomplete,
  componentReports,
  resultOf,
} from '../../../src/controller/reconcile-steps.js';
import type { Manifest } from '../../../src/render/manifest.js';

const deployment = (name: string, version: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'istio-system', labels: { 'operator.istio.io/version': version } },
  spec: { replicas: 1 },
});

/** A manifest of Pilot (istiod) and one ingress gateway. */
const manifest = {
  plan: { version: '1.27.0' },
  components: [
    { component: 'Pilot', objects: [deployment('istiod', '1.27.0')] },
    { component: 'IngressGateways', objects: [deployment('istio-ingressgateway', '1.27.0')] },
  ],
} as unknown as Manifest;

/** Live state holding `objects`, by kind, namespace and name. */
function liveOf(objects: KubernetesObject[]): LiveState {
  return {
    get: (_, kind, ns, name) =>
      objects.find(
        (o) => o.kind === kind && o.metadata?.namespace === ns && o.metadata?.name === name,
      ),
    ownedBy: () => [],
    ownerExists: () => Promise.resolve(true),
  };
}

const rolledOut = (name: string) => ({
  ...deployment(name, '1.27.0'),
  metadata: { ...deployment(name, '1.27.0').metadata, generation: 1 },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
});

const applied = (component: string, extra: Partial<ComponentApplyResult> = {}) =>
  ({ component, applied: [], drifted: [], unchanged: 1, ...extra }) as ComponentApplyResult;

const outcomeOf = (components: ComponentApplyResult[], live: KubernetesObject[]): ApplyOutcome => ({
  components,
  conflicts: [],
  live: liveOf(live),
  keptCrds: [],
});

describe('reconcile steps (controller/reconcile-steps.ts)', () => {
  it('reports every component ready once its workloads rolled out, and the reconcile done', () => {
    const outcome = outcomeOf([applied('Pilot'), applied('IngressGateways')], [
      rolledOut('istiod'),
      rolledOut('istio-ingressgateway'),
    ] as KubernetesObject[]);
    const reports = componentReports(manifest, outcome);
    assert.deepEqual(reports, [
      { name: 'Pilot', ready: true, waitingFor: [], version: '1.27.0' },
      { name: 'IngressGateways', ready: true, waitingFor: [], version: '1.27.0' },
    ]);
    assert.equal(applyIncomplete(outcome), false);
    assert.deepEqual(resultOf(outcome, reports, []), { result: 'done' });
  });

  it('waits for a held-back gateway and for a workload not created yet, and looks again', () => {
    const outcome = outcomeOf(
      [applied('Pilot'), applied('IngressGateways', { heldBack: 'waiting for istiod' })],
      [],
    );
    const reports = componentReports(manifest, outcome);
    assert.deepEqual(
      reports.map((r) => [r.name, r.ready, r.waitingFor]),
      [
        ['Pilot', false, ['Deployment istio-system/istiod: not created yet']],
        ['IngressGateways', false, ['waiting for istiod']],
      ],
    );
    assert.deepEqual(resultOf(outcome, reports, [], 700), { result: 'requeueAfter', ms: 700 });
  });

  it('names a failed dependency as the error of what it blocked, and retries with backoff', () => {
    const outcome = outcomeOf(
      [
        applied('Pilot', { error: 'apply Deployment istiod: boom' }),
        applied('IngressGateways', { blockedBy: 'Pilot' } as Partial<ComponentApplyResult>),
      ],
      [],
    );
    const reports = componentReports(manifest, outcome);
    assert.deepEqual(
      reports.map((r) => [r.error, r.waitingFor]),
      [
        ['apply Deployment istiod: boom', []],
        ['waiting for Pilot, which failed', []],
      ],
    );
    assert.equal(applyIncomplete(outcome), true);
    assert.deepEqual(resultOf(outcome, reports, ['delete x: forbidden']), {
      result: 'error',
      error: 'apply Deployment istiod: boom; waiting for Pilot, which failed; delete x: forbidden',
    });
  });

  it('looks again only rarely when the only trouble is a kind the cluster does not serve', () => {
    const outcome = outcomeOf(
      [applied('Pilot', { missingKinds: ['NetworkAttachmentDefinition x: not served'] })],
      [rolledOut('istiod')] as KubernetesObject[],
    );
    const reports = componentReports(manifest, outcome);
    assert.equal(reports[0]!.error, 'NetworkAttachmentDefinition x: not served');
    assert.equal(applyIncomplete(outcome), false, 'the rest was applied: prune goes ahead');
    assert.deepEqual(resultOf(outcome, reports, []), { result: 'requeueAfter', ms: 300_000 });
  });

  it('does not prune or judge a takeover while a namespace terminates', () => {
    const outcome = outcomeOf([applied('Pilot', { waiting: 'namespace x to finish' })], []);
    assert.equal(applyIncomplete(outcome), true);
  });
});
