import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { WATCHED_KINDS, watchedKind } from '../../../src/apply/kinds.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { PROFILE_NAMES } from '../../../src/profiles/names.js';
import { renderManifest } from '../../../src/render/manifest.js';
import { translate } from '../../../src/translate/plan.js';

function kindsRendered(set: string[]): Set<string> {
  const merged = generateIstioOperator({ files: [], set });
  return new Set(renderManifest(translate(merged)).objects.map((o) => `${o.apiVersion} ${o.kind}`));
}

describe('managed kinds (the watch table)', () => {
  const variants: string[][] = [
    ...PROFILE_NAMES.map((p) => [`profile=${p}`]),
    ['profile=demo', 'revision=canary'],
    ['profile=default', 'components.cni.enabled=true', 'values.cni.resourceQuotas.enabled=true'],
    ['profile=ambient', 'values.global.platform=openshift'],
    ['profile=remote', 'values.global.remotePilotAddress=10.1.2.3'],
  ];

  for (const set of variants) {
    it(`covers every kind the renderer emits for --set ${set.join(' ')}`, () => {
      for (const k of kindsRendered(set)) {
        const [apiVersion, kind] = k.split(' ') as [string, string];
        assert.ok(watchedKind(apiVersion, kind), `${k} is rendered but not in WATCHED_KINDS`);
      }
    });
  }

  it('lists each kind once, and never prunes CRDs', () => {
    const keys = WATCHED_KINDS.map((w) => `${w.apiVersion} ${w.kind}`);
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(
      watchedKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')?.neverPrune,
      true,
    );
  });

  const deploy = (over: Record<string, unknown>): KubernetesObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', namespace: 'istio-system', resourceVersion: '1' },
      spec: { replicas: 1 },
      status: {
        observedGeneration: 1,
        availableReplicas: 1,
        updatedReplicas: 1,
        replicas: 1,
        conditions: [],
      },
      ...over,
    }) as KubernetesObject;

  it('ignores status-only and bookkeeping changes but passes spec and label changes', () => {
    const f = watchedKind('v1', 'ConfigMap')!.filter;
    const a = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', resourceVersion: '1' },
      data: { a: '1' },
    };
    assert.equal(
      f(a, {
        ...a,
        metadata: { ...a.metadata, resourceVersion: '2', managedFields: [] },
      } as KubernetesObject),
      false,
    );
    assert.equal(f(a, { ...a, data: { a: '2' } } as KubernetesObject), true);
    assert.equal(f(a, { ...a, metadata: { ...a.metadata, labels: { x: 'y' } } }), true);
  });

  it('passes workload status changes that affect readiness, ignores the rest', () => {
    const f = watchedKind('apps/v1', 'Deployment')!.filter;
    const a = deploy({});
    const heartbeat = deploy({
      status: {
        observedGeneration: 1,
        availableReplicas: 1,
        updatedReplicas: 1,
        replicas: 1,
        conditions: [{ type: 'Progressing' }],
      },
    });
    const lostPod = deploy({
      status: {
        observedGeneration: 1,
        availableReplicas: 0,
        updatedReplicas: 1,
        replicas: 1,
        conditions: [],
      },
    });
    assert.equal(f(a, heartbeat), false);
    assert.equal(f(a, lostPod), true);
  });

  it('ignores the webhook fields istiod owns, and marks them create-only', () => {
    const w = watchedKind('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration')!;
    const hook = (ca: string, policy: string, rules = 'x') =>
      ({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'istio-validator-istio-system' },
        webhooks: [
          {
            name: 'v',
            clientConfig: { caBundle: ca, service: { name: 'istiod' } },
            failurePolicy: policy,
            rules,
          },
        ],
      }) as KubernetesObject;
    assert.equal(w.filter(hook('', 'Ignore'), hook('Q0E=', 'Fail')), false);
    assert.equal(w.filter(hook('', 'Ignore'), hook('', 'Ignore', 'y')), true);
    assert.deepEqual(w.createOnly, [
      ['webhooks', '*', 'clientConfig', 'caBundle'],
      ['webhooks', '*', 'failurePolicy'],
    ]);
  });

  it('ignores token-controller churn on ServiceAccounts', () => {
    const f = watchedKind('v1', 'ServiceAccount')!.filter;
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'istiod' } };
    assert.equal(
      f(sa, { ...sa, secrets: [{ name: 'istiod-token-x' }] } as KubernetesObject),
      false,
    );
  });
});

describe('update filters', () => {
  const crd = (established: string, extra: object = {}) =>
    ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gateways.networking.istio.io', resourceVersion: '1' },
      spec: { group: 'networking.istio.io' },
      status: {
        conditions: [
          { type: 'NamesAccepted', status: 'True' },
          { type: 'Established', status: established },
        ],
        ...extra,
      },
    }) as KubernetesObject;

  it('wakes an IstioOperator when one of its CRDs becomes Established, not on other CRD status', () => {
    const filter = watchedKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition')!.filter;
    assert.equal(filter(crd('False'), crd('True')), true);
    assert.equal(filter(crd('True'), crd('True', { storedVersions: ['v1'] })), false);
  });
});
