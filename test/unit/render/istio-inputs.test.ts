import assert from 'node:assert/strict';
import { patchValue } from '../../../src/render/overlays.js';
import { at, find, render } from './helpers.js';

/**
 * What Istio's own `manifest generate` inputs (../shared/data/istio-manifest-inputs)
 * showed we rendered differently from istioctl; each case is also compared
 * whole, live, by the conformance suite (test/conformance/istio-inputs.test.ts).
 */
describe('render: what Istio’s own test inputs expect', () => {
  const env = (o: unknown): { name: string; value?: string; valueFrom?: unknown }[] =>
    at(o).spec.template.spec.containers[0].env;

  it('gives istiod the env entries of values.pilot.envVarFrom, whole, after the user env', () => {
    const entry = { name: 'FAKE', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } };
    const istiod = find(
      render({
        profile: 'empty',
        components: { pilot: { enabled: true } },
        values: { pilot: { env: { ZZZ: '1' }, envVarFrom: [entry] } },
      }),
      'Deployment',
      'istiod',
    );
    const names = env(istiod).map((e) => e.name);
    assert.deepEqual(
      env(istiod).find((e) => e.name === 'FAKE'),
      entry,
    );
    assert.equal(names.indexOf('FAKE'), names.indexOf('ZZZ') + 1);
    assert.equal(names.indexOf('PILOT_TRACE_SAMPLING'), names.indexOf('FAKE') + 1);
  });

  it("writes ztunnel's proxy metadata from the chart profile and values.ztunnel.meshConfig, not a fixed ISTIO_META_ENABLE_HBONE", () => {
    const metadata = (spec: Record<string, unknown>) =>
      env(find(render(spec), 'DaemonSet', 'ztunnel'))
        .filter((e) => /^(ISTIO_META_ENABLE_HBONE|ZED)$/.test(e.name))
        .map((e) => `${e.name}=${e.value}`);
    const zed = {
      ztunnel: { meshConfig: { defaultConfig: { proxyMetadata: { ZED: 1 } } } },
    };
    assert.deepEqual(metadata({ components: { ztunnel: { enabled: true } } }), []);
    assert.deepEqual(metadata({ profile: 'ambient' }), ['ISTIO_META_ENABLE_HBONE=true']);
    assert.deepEqual(metadata({ profile: 'ambient', values: zed }), [
      'ISTIO_META_ENABLE_HBONE=true',
      'ZED=1',
    ]);
    assert.deepEqual(metadata({ components: { ztunnel: { enabled: true } }, values: zed }), [
      'ZED=1',
    ]);
  });

  it("takes a gateway's canonical revision from its own version label", () => {
    const labels = (gw: Record<string, unknown>, revision?: string) =>
      at(
        find(
          render({
            profile: 'empty',
            ...(revision ? { revision } : {}),
            components: { ingressGateways: [{ name: 'gw', enabled: true, ...gw }] },
          }),
          'Deployment',
          'gw',
        ),
      ).spec.template.metadata.labels;
    assert.equal(labels({ label: { version: '21' } })['service.istio.io/canonical-revision'], '21');
    assert.equal(labels({})['service.istio.io/canonical-revision'], 'latest');
    assert.equal(labels({}, 'canary')['service.istio.io/canonical-revision'], 'canary');
    assert.equal(
      labels({ label: { version: '21' } }, 'canary')['service.istio.io/canonical-revision'],
      '21',
    );
  });

  it('sets an overlay value that is a string spelling a YAML map as that map, and every other string as written', () => {
    assert.deepEqual(patchValue('fieldRef:\n  apiVersion: v2\n  fieldPath: metadata.myPath\n'), {
      fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.myPath' },
    });
    assert.deepEqual(patchValue('a: b'), { a: 'b' });
    for (const s of ['60m', '123', 'true', '- q', '[1,2]', 'a: [unclosed', 'http://x:80'])
      assert.equal(patchValue(s), s);
    assert.equal(patchValue(1234), 1234);
  });

  it('applies such an overlay to istiod as an object the API server takes', () => {
    const istiod = find(
      render({
        components: {
          pilot: {
            k8s: {
              overlays: [
                {
                  kind: 'Deployment',
                  name: 'istiod',
                  patches: [
                    {
                      path: 'spec.template.spec.containers.[name:discovery].env.[name:POD_NAMESPACE].valueFrom',
                      value: 'fieldRef:\n  fieldPath: metadata.labels\n',
                    },
                  ],
                },
              ],
            },
          },
        },
      }),
      'Deployment',
      'istiod',
    );
    assert.deepEqual(env(istiod).find((e) => e.name === 'POD_NAMESPACE')?.valueFrom, {
      fieldRef: { fieldPath: 'metadata.labels' },
    });
  });

  describe('a remote cluster (profile remote)', () => {
    const remote = (values: Record<string, unknown>, tag?: string) =>
      render({
        profile: 'remote',
        ...(tag ? { tag } : {}),
        values: { global: { remotePilotAddress: '169.10.112.88', ...values } },
      });
    const kinds = (m: ReturnType<typeof render>) =>
      m.objects
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .filter((i) => /istiod|validator/.test(i));

    it('renders no istiod, only the external one’s Service and EndpointSlice', () => {
      assert.deepEqual(kinds(remote({})).sort(), ['EndpointSlice/istiod', 'Service/istiod']);
    });

    it('as the config cluster (global.configCluster) adds istiod’s identity and the validator, calling base.validationURL', () => {
      const m = render({
        profile: 'remote',
        values: {
          global: { remotePilotAddress: '169.10.112.88', configCluster: true },
          base: { validationURL: 'https://x:15017/validate' },
        },
      });
      const ids = kinds(m);
      for (const id of [
        'ServiceAccount/istiod',
        'Role/istiod',
        'RoleBinding/istiod',
        'ClusterRole/istiod-clusterrole-istio-system',
        'ValidatingWebhookConfiguration/istio-validator-istio-system',
      ])
        assert.ok(ids.includes(id), id);
      assert.ok(!ids.includes('Deployment/istiod'));
      assert.deepEqual(
        at(find(m, 'ValidatingWebhookConfiguration', 'istio-validator-istio-system')).webhooks[0]
          .clientConfig,
        { url: 'https://x:15017/validate' },
      );
    });

    it('with a local injector istiod (istiodRemote.enabledLocalInjectorIstiod) runs istiod, and names the external one istiod-remote', () => {
      const m = render({
        profile: 'remote',
        values: {
          global: { remotePilotAddress: '169.10.112.88' },
          istiodRemote: { enabledLocalInjectorIstiod: true },
        },
      });
      const ids = kinds(m);
      for (const id of [
        'Deployment/istiod',
        'Service/istiod',
        'Service/istiod-remote',
        'EndpointSlice/istiod-remote',
        'ServiceAccount/istiod',
      ])
        assert.ok(ids.includes(id), id);
      assert.ok(!ids.includes('EndpointSlice/istiod'));
      assert.deepEqual(at(find(m, 'Service', 'istiod')).spec.selector, {
        app: 'istiod',
        istio: 'pilot',
      });
    });

    it('refuses an IPv6 remotePilotAddress before 1.30 (an ExternalName the API server refuses), and takes it from 1.30', () => {
      assert.throws(
        () => remote({ remotePilotAddress: '2001:db8::1' }, '1.29.8'),
        /spec\.values\.global\.remotePilotAddress: is an IPv6 address: Istio 1\.29/,
      );
      const slice = find(
        remote({ remotePilotAddress: '2001:db8::1' }, '1.30.8'),
        'EndpointSlice',
        'istiod',
      );
      assert.equal(at(slice).addressType, 'IPv6');
    });
  });
});
