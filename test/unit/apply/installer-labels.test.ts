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

  it("keeps the gateway charts' chart, heritage and release labels (no gateway rollout on take-over)", () => {
    const gateway = {
      app: 'istio-ingressgateway',
      istio: 'ingressgateway',
      chart: 'gateways',
      heritage: 'Tiller',
      release: 'istio',
      'helm.sh/chart': 'istio-ingress-1.0.0',
    };
    const out = keepInstallerLabels(
      deployment({ app: 'istio-ingressgateway', istio: 'ingressgateway' }),
      deployment(gateway),
    );
    assert.deepEqual(labelsOf(out), gateway);
  });

  it('keeps them on DaemonSets too (istio-cni-node, ztunnel)', () => {
    const daemonSet = (labels: Record<string, string>): KubernetesObject =>
      ({
        ...deployment(labels),
        kind: 'DaemonSet',
        metadata: { name: 'ztunnel' },
      }) as KubernetesObject;
    const out = keepInstallerLabels(
      daemonSet({ app: 'ztunnel' }),
      daemonSet({ app: 'ztunnel', 'helm.sh/chart': 'ztunnel-1.0.0', 'user.example/x': 'y' }),
    );
    assert.deepEqual(labelsOf(out), { app: 'ztunnel', 'helm.sh/chart': 'ztunnel-1.0.0' });
  });

  it('never carries other labels, and never overrides a label the operator renders', () => {
    const desired = deployment({ app: 'istiod', 'app.kubernetes.io/name': 'ours', release: 'r' });
    const out = keepInstallerLabels(desired, deployment({ ...istioctl, release: 'istio' }));
    assert.equal(labelsOf(out)?.['app.kubernetes.io/name'], 'ours');
    assert.equal(labelsOf(out)?.release, 'r');
    assert.equal(labelsOf(out)?.['user.example/team'], undefined);
    // Look-alikes are not bookkeeping.
    const other = keepInstallerLabels(
      deployment({ app: 'istiod' }),
      deployment({ app: 'istiod', 'example.com/chart': 'x', 'release-channel': 'y' }),
    );
    assert.deepEqual(labelsOf(other), { app: 'istiod' });
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
