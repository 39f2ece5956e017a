import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { requestBody } from '../../../src/apply/applier.js';
import { keepInstallerLabels } from '../../../src/apply/installer-labels.js';

const deployment = (labels: Record<string, string> | undefined): KubernetesObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'istiod', namespace: 'istio-system' },
    spec: { template: { metadata: labels ? { labels } : {}, spec: { containers: [] } } },
  }) as KubernetesObject;

const labelsOf = (o: KubernetesObject) =>
  (o as unknown as { spec: { template: { metadata: { labels?: Record<string, string> } } } }).spec
    .template.metadata.labels;

describe('apply: installer bookkeeping labels on a live pod template', () => {
  const istioctl = {
    app: 'istiod',
    'app.kubernetes.io/name': 'istiod',
    'app.kubernetes.io/instance': 'istio',
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/part-of': 'istio',
    'app.kubernetes.io/version': '1.27.0',
    'helm.sh/chart': 'istiod-1.27.0',
    'install.operator.istio.io/owning-resource': 'control-plane',
    'user.example/team': 'mesh',
  };

  it("keeps istioctl's chart and owner labels that the operator does not render (no rollout on take-over)", () => {
    const desired = deployment({ app: 'istiod', istio: 'pilot' });
    const out = keepInstallerLabels(desired, deployment(istioctl));
    assert.deepEqual(labelsOf(out), {
      app: 'istiod',
      istio: 'pilot',
      'app.kubernetes.io/name': 'istiod',
      'app.kubernetes.io/instance': 'istio',
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/part-of': 'istio',
      'app.kubernetes.io/version': '1.27.0',
      'helm.sh/chart': 'istiod-1.27.0',
      'install.operator.istio.io/owning-resource': 'control-plane',
    });
    assert.deepEqual(labelsOf(desired), { app: 'istiod', istio: 'pilot' }, 'desired untouched');
  });

  it('never carries other labels, and never overrides a label the operator renders', () => {
    const desired = deployment({ app: 'istiod', 'app.kubernetes.io/name': 'ours' });
    const out = keepInstallerLabels(desired, deployment(istioctl));
    assert.equal(labelsOf(out)?.['app.kubernetes.io/name'], 'ours');
    assert.equal(labelsOf(out)?.['user.example/team'], undefined);
  });

  it('adds nothing to an install the operator made itself, or to objects without a pod template', () => {
    const desired = deployment({ app: 'istiod' });
    assert.equal(keepInstallerLabels(desired, deployment({ app: 'istiod' })), desired);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'istio' } };
    assert.equal(keepInstallerLabels(cm, cm), cm);
  });

  it('is part of the body the operator sends (and diff previews)', () => {
    const body = requestBody(deployment({ app: 'istiod' }), deployment(istioctl));
    assert.equal(labelsOf(body)?.['helm.sh/chart'], 'istiod-1.27.0');
    const fresh = deployment({ app: 'istiod' });
    assert.equal(requestBody(fresh, undefined), fresh);
  });
});
