import assert from 'node:assert/strict';
import { at, find, ids, render } from './helpers.js';

type Port = { name: string; port: number; targetPort: number };

describe('render: gateways', () => {
  it('renders the default ingress gateway as a LoadBalancer on 15021, 80->8080, 443->8443', () => {
    const m = render();
    const s = at(find(m, 'Service', 'istio-ingressgateway', 'istio-system'));
    assert.equal(s.spec.type, 'LoadBalancer');
    assert.deepEqual(
      s.spec.ports.map((p: Port) => [p.name, p.port, p.targetPort]),
      [
        ['status-port', 15021, 15021],
        ['http2', 80, 8080],
        ['https', 443, 8443],
      ],
    );
    assert.deepEqual(s.spec.selector, { app: 'istio-ingressgateway', istio: 'ingressgateway' });
    const d = at(find(m, 'Deployment', 'istio-ingressgateway'));
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.name, 'istio-proxy');
    assert.match(c.image, /\/proxyv2:/);
    assert.deepEqual(
      c.ports.map((p: { containerPort: number }) => p.containerPort),
      [15021, 8080, 8443, 15090],
    );
    assert.equal(c.readinessProbe.httpGet.path, '/healthz/ready');
    assert.equal(c.readinessProbe.httpGet.port, 15021);
    for (const kind of ['ServiceAccount']) find(m, kind, 'istio-ingressgateway-service-account');
    for (const kind of ['Role', 'RoleBinding']) find(m, kind, 'istio-ingressgateway-sds');
    find(m, 'HorizontalPodAutoscaler', 'istio-ingressgateway');
    // From 1.28 a single-replica gateway gets no PDB (it would block node drains).
    assert.throws(() => find(m, 'PodDisruptionBudget', 'istio-ingressgateway'));
    find(render({ tag: '1.27.9' }), 'PodDisruptionBudget', 'istio-ingressgateway');
  });

  it('renders the demo egress gateway as a ClusterIP on 80 and 443, without HPAs', () => {
    const m = render({ profile: 'demo' });
    const s = at(find(m, 'Service', 'istio-egressgateway'));
    assert.equal(s.spec.type, 'ClusterIP');
    assert.deepEqual(
      s.spec.ports.map((p: Port) => p.port),
      [80, 443],
    );
    assert.ok(!ids(m).some((i) => i.startsWith('HorizontalPodAutoscaler/')));
    const ingress = at(find(m, 'Service', 'istio-ingressgateway'));
    assert.deepEqual(
      ingress.spec.ports.map((p: Port) => p.port),
      [15021, 80, 443, 31400, 15443],
    );
  });

  it('renders any number of gateways, each in its own namespace with its labels and ports', () => {
    const m = render({
      components: {
        ingressGateways: [
          { name: 'istio-ingressgateway', enabled: true },
          {
            name: 'public-gw',
            namespace: 'edge',
            label: { istio: 'public' },
            k8s: { service: { ports: [{ name: 'https', port: 443, targetPort: 8443 }] } },
          },
        ],
        egressGateways: [{ name: 'out-gw', namespace: 'egress', enabled: true }],
      },
    });
    const pub = at(find(m, 'Service', 'public-gw', 'edge'));
    assert.deepEqual(pub.spec.selector, { app: 'istio-ingressgateway', istio: 'public' });
    assert.deepEqual(
      pub.spec.ports.map((p: Port) => p.port),
      [443],
    );
    const d = at(find(m, 'Deployment', 'public-gw', 'edge'));
    assert.deepEqual(d.spec.selector.matchLabels, { app: 'istio-ingressgateway', istio: 'public' });
    assert.equal(d.spec.template.spec.serviceAccountName, 'public-gw-service-account');
    assert.equal(at(find(m, 'Service', 'out-gw', 'egress')).spec.type, 'ClusterIP');
    assert.equal(
      find(m, 'Deployment', 'out-gw').metadata.labels?.['operator.istio.io/component'],
      'EgressGateways',
    );
    find(m, 'Deployment', 'istio-ingressgateway', 'istio-system');
  });

  it('skips a gateway with enabled: false', () => {
    const m = render({ components: { ingressGateways: [{ name: 'off-gw', enabled: false }] } });
    assert.ok(!ids(m).includes('Deployment/off-gw'));
  });
});
