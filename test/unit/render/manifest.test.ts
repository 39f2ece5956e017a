import { ISTIO_VERSION } from '../../../src/version.js';
import assert from 'node:assert/strict';
import { kindPriority } from '../../../src/render/order.js';
import { toYamlDocuments } from '../../../src/render/output.js';
import { at, find, ids, render } from './helpers.js';
import { LABELS } from '../../../src/api/vocabulary.js';

describe('render: whole manifest', () => {
  const profiles = [
    'default',
    'demo',
    'minimal',
    'empty',
    'preview',
    'stable',
    'ambient',
    'remote',
    'openshift',
    'openshift-ambient',
  ];

  for (const p of profiles) {
    it(`renders profile ${p} byte-identically twice`, () => {
      const a = toYamlDocuments(render({ profile: p }).objects);
      const b = toYamlDocuments(render({ profile: p }).objects);
      assert.equal(a, b);
    });
  }

  it('stamps the six ownership labels on every object, not on pod templates', () => {
    const m = render({ profile: 'demo' });
    for (const o of m.objects) {
      const l = o.metadata.labels ?? {};
      assert.equal(l[LABELS.managed], 'Reconcile');
      assert.equal(l[LABELS.version], ISTIO_VERSION);
      assert.equal(l[LABELS.owner], 'test');
      assert.equal(l[LABELS.ownerNamespace], 'istio-system');
      assert.equal(l[LABELS.rev], 'default');
      assert.ok(
        ['Base', 'Pilot', 'IngressGateways', 'EgressGateways'].includes(l[LABELS.component] ?? ''),
      );
    }
    const tmpl = at(find(m, 'Deployment', 'istiod')).spec.template.metadata.labels;
    assert.equal(tmpl[LABELS.managed], undefined);
  });

  it('labels components by their internal names', () => {
    const m = render({ profile: 'demo' });
    const comp = (kind: string, name: string) =>
      find(m, kind, name).metadata.labels?.[LABELS.component];
    assert.equal(comp('CustomResourceDefinition', 'virtualservices.networking.istio.io'), 'Base');
    assert.equal(comp('Deployment', 'istiod'), 'Pilot');
    assert.equal(comp('Deployment', 'istio-ingressgateway'), 'IngressGateways');
    assert.equal(comp('Deployment', 'istio-egressgateway'), 'EgressGateways');
  });

  it('orders CRDs, then cluster RBAC, then namespaced objects by kind priority and name', () => {
    const m = render();
    const prios = m.objects.map((o) => kindPriority(o.kind));
    assert.deepEqual(
      prios,
      [...prios].sort((a, b) => a - b),
    );
    assert.equal(m.objects[0]?.kind, 'CustomResourceDefinition');
    const crdNames = m.objects
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata.name);
    assert.deepEqual(crdNames, [...crdNames].sort());
    assert.ok(ids(m).indexOf('Deployment/istiod') < ids(m).indexOf('Service/istiod'));
    const kinds = m.objects.map((o) => o.kind);
    assert.ok(kinds.lastIndexOf('ClusterRoleBinding') < kinds.indexOf('ServiceAccount'));
    assert.equal(kinds.at(-1), 'MutatingWebhookConfiguration', 'the injector webhook comes last');
  });

  it("renders the line's CRDs (15 in 1.30), each with exactly one storage version", () => {
    const crds = render().objects.filter((o) => o.kind === 'CustomResourceDefinition');
    assert.equal(crds.length, 15);
    for (const c of crds) {
      const versions = at(c).spec.versions as { storage: boolean; served: boolean }[];
      assert.equal(versions.filter((v) => v.storage).length, 1, c.metadata.name);
      assert.ok(versions.every((v) => v.served));
    }
    find(render(), 'ServiceAccount', 'istio-reader-service-account', 'istio-system');
  });

  it('renders nothing for the empty profile', () => {
    assert.deepEqual(render({ profile: 'empty' }).objects, []);
  });

  it('renders cni and ztunnel for ambient, and no ingress gateway', () => {
    const m = render({ profile: 'ambient' });
    const d = at(find(m, 'DaemonSet', 'istio-cni-node'));
    assert.equal(d.spec.template.spec.containers[0].name, 'install-cni');
    const z = at(find(m, 'DaemonSet', 'ztunnel'));
    assert.equal(z.spec.template.spec.containers[0].name, 'istio-proxy');
    assert.equal(
      z.spec.template.spec.containers[0].image,
      `docker.io/istio/ztunnel:${ISTIO_VERSION}-distroless`,
    );
    find(m, 'ConfigMap', 'istio-cni-config');
    assert.ok(!ids(m).includes('Deployment/istio-ingressgateway'));
    const env = at(find(m, 'Deployment', 'istiod')).spec.template.spec.containers[0].env;
    assert.ok(
      env.some(
        (e: { name: string; value: string }) =>
          e.name === 'PILOT_ENABLE_AMBIENT' && e.value === 'true',
      ),
    );
  });

  it('renders no istiod Deployment for the remote profile, but the injector webhook', () => {
    const m = render({ profile: 'remote' });
    assert.ok(!ids(m).includes('Deployment/istiod'));
    find(m, 'MutatingWebhookConfiguration', 'istio-sidecar-injector');
  });
});
