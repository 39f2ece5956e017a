import assert from 'node:assert/strict';
import { render } from './helpers.js';

describe('render: NetworkPolicies (values.global.networkPolicy.enabled)', () => {
  const policies = (tag: string, extra: Record<string, unknown> = {}) =>
    render({
      profile: 'ambient',
      tag,
      components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }] },
      values: { global: { networkPolicy: { enabled: true } } },
      ...extra,
    })
      .objects.filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => o.metadata.name)
      .sort();

  it("renders istiod's and the gateways' from 1.28, the node agents' from 1.29", () => {
    assert.deepEqual(policies('1.28.10'), ['istio-ingressgateway', 'istiod']);
    assert.deepEqual(policies('1.29.6'), [
      'istio-cni',
      'istio-ingressgateway',
      'istiod',
      'ztunnel',
    ]);
    assert.deepEqual(policies('1.30.3'), [
      'istio-cni',
      'istio-ingressgateway',
      'istiod',
      'ztunnel',
    ]);
  });

  it('names them per revision and admits only the ports each component serves', () => {
    assert.deepEqual(policies('1.30.3', { revision: 'canary' }), [
      'istio-cni-canary',
      'istio-ingressgateway-canary',
      'istiod-canary',
      'ztunnel-canary',
    ]);
    const m = render({ tag: '1.30.3', values: { global: { networkPolicy: { enabled: true } } } });
    const istiod = m.objects.find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'istiod',
    )!;
    const spec = istiod.spec as {
      podSelector: unknown;
      ingress: { ports: { port: number }[] }[];
      egress: unknown[];
    };
    assert.deepEqual(spec.podSelector, {
      matchLabels: { app: 'istiod', 'istio.io/rev': 'default' },
    });
    assert.deepEqual(
      spec.ingress.map((r) => r.ports.map((p) => p.port)),
      [[15017], [15010, 15011, 15012, 8080, 15014]],
    );
    assert.deepEqual(spec.egress, [{}]);
  });

  it('renders none unless asked', () => {
    assert.deepEqual(
      render({ tag: '1.30.3' }).objects.filter((o) => o.kind === 'NetworkPolicy'),
      [],
    );
  });
});
