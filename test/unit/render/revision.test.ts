import assert from 'node:assert/strict';
import { at, find, ids, render } from './helpers.js';

describe('render: revisions', () => {
  // Two replicas at least, so the PDB is rendered too (1.28+).
  const m = render({ revision: 'canary', values: { pilot: { autoscaleMin: 2 } } });

  const renamed: [string, string][] = [
    ['Deployment', 'istiod-canary'],
    ['Service', 'istiod-canary'],
    ['ServiceAccount', 'istiod-canary'],
    ['Role', 'istiod-canary'],
    ['RoleBinding', 'istiod-canary'],
    ['HorizontalPodAutoscaler', 'istiod-canary'],
    ['PodDisruptionBudget', 'istiod-canary'],
    ['ConfigMap', 'istio-canary'],
    ['ConfigMap', 'istio-sidecar-injector-canary'],
    ['MutatingWebhookConfiguration', 'istio-sidecar-injector-canary'],
    ['ValidatingWebhookConfiguration', 'istio-validator-canary-istio-system'],
    ['ClusterRole', 'istiod-clusterrole-canary-istio-system'],
    ['ClusterRoleBinding', 'istiod-gateway-controller-canary-istio-system'],
    ['ClusterRole', 'istio-reader-clusterrole-canary-istio-system'],
  ];
  for (const [kind, name] of renamed) {
    it(`names the ${kind} ${name}`, () => {
      assert.ok(ids(m).includes(`${kind}/${name}`), `${kind}/${name} missing`);
    });
  }

  it('keeps no unrevisioned istiod object', () => {
    assert.ok(!ids(m).includes('Deployment/istiod'));
    assert.ok(!ids(m).includes('MutatingWebhookConfiguration/istio-sidecar-injector'));
  });

  it('labels every object istio.io/rev=canary', () => {
    for (const o of m.objects)
      assert.equal(o.metadata.labels?.['istio.io/rev'], 'canary', o.metadata.name);
  });

  it('keeps only the two rev.* injector webhooks, selecting istio.io/rev=canary', () => {
    const w = at(find(m, 'MutatingWebhookConfiguration', 'istio-sidecar-injector-canary'));
    assert.deepEqual(
      w.webhooks.map((h: { name: string }) => h.name),
      ['rev.namespace.sidecar-injector.istio.io', 'rev.object.sidecar-injector.istio.io'],
    );
    assert.deepEqual(w.webhooks[0].namespaceSelector.matchExpressions[0].values, ['canary']);
    assert.equal(w.webhooks[0].clientConfig.service.name, 'istiod-canary');
  });

  it('selects istiod pods by app and revision', () => {
    assert.deepEqual(at(find(m, 'Service', 'istiod-canary')).spec.selector, {
      app: 'istiod',
      'istio.io/rev': 'canary',
    });
    const env = at(find(m, 'Deployment', 'istiod-canary')).spec.template.spec.containers[0].env;
    assert.equal(env.find((e: { name: string }) => e.name === 'REVISION').value, 'canary');
  });

  it('keeps gateway names under a revision', () => {
    assert.ok(ids(m).includes('Deployment/istio-ingressgateway'));
  });

  it('appends the namespace to the injector webhook outside istio-system', () => {
    const other = render({ values: { global: { istioNamespace: 'mesh' } } });
    assert.ok(ids(other).includes('MutatingWebhookConfiguration/istio-sidecar-injector-mesh'));
    assert.ok(ids(other).includes('ValidatingWebhookConfiguration/istio-validator-mesh'));
  });

  it('renders one injector webhook per revision tag; the default tag takes over the default selectors', () => {
    const t = render({ revision: 'canary', values: { revisionTags: ['prod', 'default'] } });
    const prod = at(find(t, 'MutatingWebhookConfiguration', 'istio-revision-tag-prod'));
    assert.equal(prod.metadata.labels['istio.io/tag'], 'prod');
    assert.equal(prod.metadata.labels['istio.io/rev'], 'canary');
    assert.equal(prod.webhooks.length, 2);
    assert.deepEqual(prod.webhooks[0].namespaceSelector.matchExpressions[0].values, ['prod']);
    assert.equal(prod.webhooks[0].clientConfig.service.name, 'istiod-canary');
    const dflt = at(find(t, 'MutatingWebhookConfiguration', 'istio-revision-tag-default'));
    assert.equal(dflt.webhooks.length, 4);
  });

  it('renders the default-revision validator in Base, keeping its own revision label', () => {
    const d = render({ revision: 'canary', values: { defaultRevision: 'canary' } });
    const v = at(find(d, 'ValidatingWebhookConfiguration', 'istiod-default-validator'));
    assert.equal(v.metadata.labels['operator.istio.io/component'], 'Base');
    assert.equal(v.webhooks[0].clientConfig.service.name, 'istiod-canary');
    const plain = render({ revision: 'canary', values: { defaultRevision: 'default' } });
    const p = at(find(plain, 'ValidatingWebhookConfiguration', 'istiod-default-validator'));
    assert.equal(p.metadata.labels['istio.io/rev'], 'default');
    assert.equal(p.webhooks[0].clientConfig.service.name, 'istiod');
    assert.ok(!ids(render()).includes('ValidatingWebhookConfiguration/istiod-default-validator'));
  });
});
