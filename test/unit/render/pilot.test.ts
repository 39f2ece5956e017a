import { ISTIO_VERSION } from '../../../src/version.js';
import assert from 'node:assert/strict';
import { at, find, ids, render } from './helpers.js';

describe('render: pilot (istiod)', () => {
  const m = render();

  it('renders istiod with its five container ports and /ready readiness', () => {
    const d = at(find(m, 'Deployment', 'istiod', 'istio-system'));
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.name, 'discovery');
    assert.equal(c.image, `docker.io/istio/pilot:${ISTIO_VERSION}`);
    assert.deepEqual(
      c.ports.map((p: { containerPort: number }) => p.containerPort),
      [8080, 15010, 15012, 15017, 15014],
    );
    assert.equal(c.readinessProbe.httpGet.path, '/ready');
    assert.equal(c.readinessProbe.httpGet.port, 8080);
    assert.deepEqual(c.resources.requests, { cpu: '500m', memory: '2048Mi' });
  });

  it('omits replicas while autoscaling and sets them when autoscaling is off', () => {
    assert.equal(at(find(m, 'Deployment', 'istiod')).spec.replicas, undefined);
    const off = render({ values: { pilot: { autoscaleEnabled: false } } });
    assert.equal(at(find(off, 'Deployment', 'istiod')).spec.replicas, 1);
    assert.ok(!ids(off).includes('HorizontalPodAutoscaler/istiod'));
  });

  it('exposes 15010, 15012, 443->15017 and 15014 on the istiod Service', () => {
    const s = at(find(m, 'Service', 'istiod'));
    assert.deepEqual(
      s.spec.ports.map((p: { port: number; targetPort?: number }) => [
        p.port,
        p.targetPort ?? p.port,
      ]),
      [
        [15010, 15010],
        [15012, 15012],
        [443, 15017],
        [15014, 15014],
      ],
    );
    assert.deepEqual(s.spec.selector, { app: 'istiod', istio: 'pilot' });
  });

  it('renders an HPA (1..5 at 80% CPU), and a PDB with minAvailable 1 only when two replicas can run (1.28+)', () => {
    const h = at(find(m, 'HorizontalPodAutoscaler', 'istiod'));
    assert.equal(h.spec.minReplicas, 1);
    assert.equal(h.spec.maxReplicas, 5);
    assert.equal(h.spec.metrics[0].resource.target.averageUtilization, 80);
    assert.throws(() => find(m, 'PodDisruptionBudget', 'istiod'), /no PodDisruptionBudget istiod/);
    const two = render({ values: { pilot: { autoscaleMin: 2 } } });
    assert.equal(at(find(two, 'PodDisruptionBudget', 'istiod')).spec.minAvailable, 1);
    const fixed = render({ values: { pilot: { autoscaleEnabled: false, replicaCount: 2 } } });
    assert.equal(at(find(fixed, 'PodDisruptionBudget', 'istiod')).spec.minAvailable, 1);
    // 1.27 renders it for one replica too.
    const old = render({ tag: '1.27.9' });
    assert.equal(at(find(old, 'PodDisruptionBudget', 'istiod')).spec.minAvailable, 1);
  });

  it('renders the four injector webhooks with their selectors', () => {
    const w = at(find(m, 'MutatingWebhookConfiguration', 'istio-sidecar-injector'));
    assert.deepEqual(
      w.webhooks.map((h: { name: string }) => h.name),
      [
        'rev.namespace.sidecar-injector.istio.io',
        'rev.object.sidecar-injector.istio.io',
        'namespace.sidecar-injector.istio.io',
        'object.sidecar-injector.istio.io',
      ],
    );
    assert.deepEqual(w.webhooks[2].namespaceSelector.matchExpressions, [
      { key: 'istio-injection', operator: 'In', values: ['enabled'] },
    ]);
    assert.deepEqual(w.webhooks[0].namespaceSelector.matchExpressions[0], {
      key: 'istio.io/rev',
      operator: 'In',
      values: ['default'],
    });
    assert.deepEqual(w.webhooks[3].objectSelector.matchExpressions[0], {
      key: 'sidecar.istio.io/inject',
      operator: 'In',
      values: ['true'],
    });
    for (const h of w.webhooks) {
      assert.deepEqual(h.clientConfig.service, {
        name: 'istiod',
        namespace: 'istio-system',
        path: '/inject',
        port: 443,
      });
      assert.equal(h.failurePolicy, 'Fail');
    }
  });

  it('starts the validating webhook with failurePolicy Ignore', () => {
    const v = at(find(m, 'ValidatingWebhookConfiguration', 'istio-validator-istio-system'));
    assert.equal(v.webhooks[0].failurePolicy, 'Ignore');
    assert.equal(v.webhooks[0].clientConfig.service.path, '/validate');
  });

  it('writes the mesh config with the discovery address and spec.meshConfig merged over', () => {
    const mm = render({
      meshConfig: {
        accessLogFile: '/dev/stdout',
        defaultConfig: { holdApplicationUntilProxyStarts: true },
      },
    });
    const cm = at(find(mm, 'ConfigMap', 'istio'));
    assert.match(cm.data.mesh, /discoveryAddress: istiod\.istio-system\.svc:15012/);
    assert.match(cm.data.mesh, /accessLogFile: \/dev\/stdout/);
    assert.match(cm.data.mesh, /holdApplicationUntilProxyStarts: true/);
    // As istioctl writes them: Helm's toYaml in a literal block, no final newline.
    assert.equal(cm.data.meshNetworks, 'networks: {}');
    assert.ok(!cm.data.mesh.endsWith('\n'));
    const withList = at(
      find(
        render({ meshConfig: { defaultProviders: { metrics: ['prometheus'] } } }),
        'ConfigMap',
        'istio',
      ),
    );
    assert.match(
      withList.data.mesh,
      /^defaultProviders:\n {2}metrics:\n {2}- prometheus$/m,
      'lists not indented under their key',
    );
  });

  it('fills the injector ConfigMap with the four templates and JSON values', () => {
    const cm = at(find(m, 'ConfigMap', 'istio-sidecar-injector'));
    for (const t of ['sidecar:', 'gateway:', 'grpc-simple:', 'grpc-agent:']) {
      assert.match(cm.data.config, new RegExp(`^  ${t}`, 'm'));
    }
    const values = JSON.parse(cm.data.values);
    assert.equal(values.global.proxy.image, 'proxyv2');
    assert.equal(values.pilot.cni.enabled, false);
  });

  it('sets PILOT_TRACE_SAMPLING from values.pilot.traceSampling', () => {
    const mm = render({ values: { pilot: { traceSampling: 42 } } });
    const env = at(find(mm, 'Deployment', 'istiod')).spec.template.spec.containers[0].env;
    assert.deepEqual(
      env.find((e: { name: string }) => e.name === 'PILOT_TRACE_SAMPLING'),
      {
        name: 'PILOT_TRACE_SAMPLING',
        value: '42',
      },
    );
  });
});
