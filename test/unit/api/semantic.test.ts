import assert from 'node:assert/strict';
import { isCidr } from '../../../src/api/semantic.js';
import type { Diagnostic } from '../../../src/api/types.js';
import { validateIstioOperator } from '../../../src/api/validate.js';

const iop = (spec: Record<string, unknown>) => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'x', namespace: 'istio-system' },
  spec,
});

const errorsAt = (ds: Diagnostic[], path: string) =>
  ds.filter((d) => d.severity === 'error' && d.path === path);

describe('semantic validation', () => {
  describe('istiod in a namespace of its own (components.pilot.namespace)', () => {
    it('refuses one other than the install namespace, naming the field and both ways out', () => {
      const ds = validateIstioOperator(
        iop({ components: { pilot: { enabled: true, namespace: 'istio-control' } } }),
      );
      const [d] = errorsAt(ds, 'spec.components.pilot.namespace');
      assert.ok(d, JSON.stringify(ds));
      assert.match(d.message, /install namespace istio-system/);
      assert.match(
        d.fix ?? '',
        /values\.global\.istioNamespace: istio-control.*remove components\.pilot\.namespace/,
      );
    });

    it('accepts it when the install namespace is the same (spec.namespace or values.global.istioNamespace), or istiod is off', () => {
      for (const spec of [
        { namespace: 'istio-control', components: { pilot: { namespace: 'istio-control' } } },
        {
          components: { pilot: { namespace: 'istio-control' } },
          values: { global: { istioNamespace: 'istio-control' } },
        },
        { components: { pilot: { namespace: 'istio-system' } } },
        { components: { pilot: { enabled: false, namespace: 'istio-control' } } },
      ])
        assert.deepEqual(
          errorsAt(validateIstioOperator(iop(spec)), 'spec.components.pilot.namespace'),
          [],
        );
    });
  });

  describe('CIDRs', () => {
    const cases: [string, boolean][] = [
      ['10.0.0.0/8', true],
      ['0.0.0.0/0', true],
      ['192.168.1.1/32', true],
      ['fd00::/8', true],
      ['::/0', true],
      ['2001:db8::1/128', true],
      ['::ffff:10.0.0.0/104', true],
      ['10.0.0.1', false],
      ['10.0.0.0/33', false],
      ['256.0.0.0/8', false],
      ['fd00::/129', false],
      ['1:2:3:4:5:6:7:8:9/64', false],
      ['abc/8', false],
      ['10.0.0.0/', false],
    ];
    for (const [s, ok] of cases) {
      it(`${ok ? 'accepts' : 'rejects'} ${s}`, () => assert.equal(isCidr(s), ok));
    }
  });

  describe('hub and tag formats', () => {
    const hubs: [string, boolean][] = [
      ['docker.io/istio', true],
      ['gcr.io/istio-release', true],
      ['localhost:5000/istio', true],
      ['my-registry.example.com:443/team/istio', true],
      ['istio', true],
      ['docker.io/Istio', false],
      ['docker.io/istio:1.27.0', false],
      ['docker.io/istio/', false],
      ['https://docker.io/istio', false],
    ];
    for (const [hub, ok] of hubs) {
      it(`${ok ? 'accepts' : 'rejects'} hub ${hub}`, () => {
        assert.equal(errorsAt(validateIstioOperator(iop({ hub })), 'spec.hub').length, ok ? 0 : 1);
      });
    }
    const tags: [string | number, boolean][] = [
      ['1.27.0', true],
      ['1.27.0-distroless', true],
      [1, true],
      ['latest', true],
      ['-1.27', false],
      ['1.27 0', false],
      ['a'.repeat(129), false],
    ];
    for (const [tag, ok] of tags) {
      it(`${ok ? 'accepts' : 'rejects'} tag ${JSON.stringify(tag).slice(0, 20)}`, () => {
        assert.equal(errorsAt(validateIstioOperator(iop({ tag })), 'spec.tag').length, ok ? 0 : 1);
      });
    }
  });

  describe('twins of the CRD CEL rules', () => {
    it('accepts an empty revision and DNS-1123 labels', () => {
      for (const revision of ['', 'canary', '1-27-0', 'a']) {
        assert.deepEqual(
          errorsAt(validateIstioOperator(iop({ revision })), 'spec.revision'),
          [],
          revision,
        );
      }
    });

    it('rejects revisions with a leading or trailing dash', () => {
      for (const revision of ['-canary', 'canary-']) {
        assert.equal(
          errorsAt(validateIstioOperator(iop({ revision })), 'spec.revision').length,
          1,
          revision,
        );
      }
    });

    it('checks egress gateway names and uniqueness too', () => {
      const ds = validateIstioOperator(
        iop({ components: { egressGateways: [{ name: 'eg' }, { name: 'eg' }, { name: 'Bad' }] } }),
      );
      assert.equal(errorsAt(ds, 'spec.components.egressGateways[1].name').length, 1);
      assert.match(
        errorsAt(ds, 'spec.components.egressGateways[2].name')[0]!.message,
        /not a valid gateway name/,
      );
    });

    it('allows the same name in the ingress and the egress list', () => {
      const ds = validateIstioOperator(
        iop({
          components: { ingressGateways: [{ name: 'gw' }], egressGateways: [{ name: 'gw' }] },
        }),
      );
      assert.deepEqual(
        ds.filter((d) => d.severity === 'error'),
        [],
      );
    });
  });

  describe('messages', () => {
    it('name the path, the value, what is wrong and the fix', () => {
      const [d] = validateIstioOperator(iop({ revision: 'Canary' }));
      assert.equal(d?.path, 'spec.revision');
      assert.equal(d?.value, 'Canary');
      assert.match(d!.message, /DNS-1123/);
      assert.match(d!.fix!, /"canary"/);
    });

    it('report a type error once, not once per int-or-string branch', () => {
      const ds = validateIstioOperator(iop({ tag: 1.5 }));
      assert.equal(errorsAt(ds, 'spec.tag').length, 1);
    });

    it('report an over-long revision once (schema and semantic rule agree)', () => {
      const ds = validateIstioOperator(iop({ revision: 'a'.repeat(64) }));
      assert.equal(errorsAt(ds, 'spec.revision').length, 1);
    });

    it('accept unknown fields in open-ended places', () => {
      const ds = validateIstioOperator(
        iop({
          meshConfig: { anything: 1 },
          unvalidatedValues: { x: { y: 1 } },
          values: { ztunnel: { whatever: true } },
          // (k8s.affinity is a Kubernetes Affinity, closed: see k8s-fields.test.ts.)
          components: {
            pilot: {
              k8s: {
                overlays: [
                  {
                    kind: 'Deployment',
                    name: 'istiod',
                    patches: [{ path: 'spec.x', value: { custom: 1 } }],
                  },
                ],
              },
            },
          },
        }),
      );
      assert.deepEqual(ds, []);
    });
  });
});
