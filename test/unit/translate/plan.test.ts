import assert from 'node:assert/strict';
import type { IstioOperatorSpec, ObjectMeta } from '../../../src/api/types.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';
import { RenderInputError, translate as translateMerged } from '../../../src/translate/plan.js';
import { ISTIO_VERSION } from '../../../src/version.js';
import { mergeJson } from '../../../src/json/merge.js';
import { merged } from './merged.js';

/** translate() of `iop` as written, with the release profiles/ would choose. */
const translate = (iop: { metadata?: ObjectMeta; spec?: IstioOperatorSpec }) =>
  translateMerged(merged(iop));

describe('translate: IstioOperator to render plan', () => {
  it('enables base, pilot and the listed gateways, in istio-system by default', () => {
    const p = translate({
      spec: { components: { ingressGateways: [{ name: 'istio-ingressgateway' }] } },
    });
    assert.equal(p.istioNamespace, 'istio-system');
    assert.ok(p.base && p.pilot);
    assert.equal(p.cni, undefined);
    assert.equal(p.ztunnel, undefined);
    assert.deepEqual(
      p.gateways.map((g) => [g.component, g.name, g.namespace]),
      [['IngressGateways', 'istio-ingressgateway', 'istio-system']],
    );
    assert.equal(p.pilot.tag, ISTIO_VERSION);
    assert.equal(p.pilot.hub, 'docker.io/istio');
  });

  it('treats a present component map as enabled unless enabled: false', () => {
    assert.ok(translate({ spec: { components: { cni: {} } } }).cni);
    assert.equal(translate({ spec: { components: { cni: { enabled: false } } } }).cni, undefined);
    assert.equal(
      translate({ spec: { components: { pilot: { enabled: false } } } }).pilot,
      undefined,
    );
  });

  it('switches pilot.cni on when the cni component is on', () => {
    const p = translate({ spec: { components: { cni: { enabled: true } } } });
    assert.equal((p.values.pilot as { cni: { enabled: boolean } }).cni.enabled, true);
  });

  it('lets explicit values beat what the spec translates to', () => {
    const p = translate({
      spec: { hub: 'a.example/istio', values: { global: { hub: 'b.example/istio' } } },
    });
    assert.equal(p.pilot?.hub, 'b.example/istio');
  });

  it('takes component hub and tag over the global ones', () => {
    const p = translate({
      spec: { tag: '1.27.0', components: { pilot: { hub: 'p.example', tag: 'x' } } },
    });
    assert.equal(p.pilot?.hub, 'p.example');
    assert.equal(p.pilot?.tag, 'x');
    assert.equal(p.base?.tag, '1.27.0');
  });

  it('replaces gateway default ports with k8s.service.ports and adds labels to the defaults', () => {
    const p = translate({
      spec: {
        components: {
          egressGateways: [
            {
              name: 'out',
              namespace: 'egress',
              label: { team: 'a' },
              k8s: { service: { ports: [{ port: 9000, name: 'x' }] } },
            },
          ],
        },
      },
    });
    const g = p.gateways[0]!;
    assert.equal(g.namespace, 'egress');
    assert.deepEqual(g.values.ports, [{ port: 9000, name: 'x' }]);
    assert.deepEqual(g.values.labels, {
      app: 'istio-egressgateway',
      istio: 'egressgateway',
      team: 'a',
    });
  });

  it('force-enables the default gateway from values.gateways.<gw>.enabled', () => {
    const p = translate({
      spec: {
        components: { egressGateways: [{ name: 'istio-egressgateway', enabled: false }] },
        values: { gateways: { 'istio-egressgateway': { enabled: true } } },
      },
    });
    assert.deepEqual(
      p.gateways.map((g) => g.name),
      ['istio-egressgateway'],
    );
  });

  it('rejects two gateways with the same name and namespace', () => {
    assert.throws(
      () =>
        translate({ spec: { components: { ingressGateways: [{ name: 'a' }, { name: 'a' }] } } }),
      (e: unknown) => e instanceof RenderInputError && /two gateways named "a"/.test(e.message),
    );
  });

  it('rejects an ingress and an egress gateway with the same name and namespace', () => {
    assert.throws(
      () =>
        translate({
          spec: {
            components: { ingressGateways: [{ name: 'gw' }], egressGateways: [{ name: 'gw' }] },
          },
        }),
      (e: unknown) =>
        e instanceof RenderInputError &&
        /^spec\.components\.egressGateways: two gateways named "gw" in namespace istio-system \(one in ingressGateways, one in egressGateways\)/.test(
          e.message,
        ),
    );
  });

  it('rejects an unknown chart profile', () => {
    assert.throws(
      () => translate({ spec: { values: { profile: 'turbo' } } }),
      /unknown chart profile "turbo"/,
    );
  });

  it('maps revision "default" to the default revision', () => {
    assert.equal(translate({ spec: { revision: 'default' } }).revision, '');
    assert.equal(translate({ spec: { revision: 'canary' } }).revision, 'canary');
  });

  it('renders the release profiles/ chose, without choosing again from the tags', () => {
    const handed = releaseOfMinor('1.30')!;
    const p = translateMerged({ ...merged({ spec: { tag: '1.27.0' } }), release: handed });
    assert.equal(p.release, handed);
    assert.equal(p.pilot?.tag, '1.27.0');
  });

  it('layers the demo chart profile under user values', () => {
    const p = translate({ spec: { values: { profile: 'demo', pilot: { traceSampling: 3 } } } });
    const pilot = p.values.pilot as { traceSampling: number; autoscaleEnabled: boolean };
    assert.equal(pilot.traceSampling, 3);
    assert.equal(pilot.autoscaleEnabled, false);
  });
});

describe('translate: value merge', () => {
  it('merges maps key by key and replaces lists and scalars', () => {
    assert.deepEqual(mergeJson({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: 2 }), {
      a: { b: 1, c: [3] },
      d: 2,
    });
  });

  it('does not modify its inputs', () => {
    const base = { a: { b: 1 } };
    mergeJson(base, { a: { b: 2 } });
    assert.deepEqual(base, { a: { b: 1 } });
  });
});
