import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { digest } from '../../../scripts/conformance-goldens.js';
import { RELEASES, releaseOfMinor, type IstioMinor } from '../../../src/releases/catalog.js';
import { injectionTemplates } from '../../../src/render/injection/templates.js';
import { find, render } from './helpers.js';

const templates = (minor: IstioMinor) => injectionTemplates(releaseOfMinor(minor)!);
/** One template's text; throws when the line has no such template. */
const tpl = (minor: IstioMinor, name: string): string => {
  const t = templates(minor)[name];
  if (t === undefined) throw new Error(`${minor} has no template ${name}`);
  return t;
};
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe('render: injection templates per Istio line', () => {
  it('1.27 and 1.28 ship six templates; 1.29 and 1.30 add agentgateway', () => {
    const pods = ['gateway', 'grpc-agent', 'grpc-simple', 'kube-gateway', 'sidecar', 'waypoint'];
    assert.deepEqual(Object.keys(templates('1.27')).sort(), pods);
    assert.deepEqual(Object.keys(templates('1.28')).sort(), pods);
    assert.deepEqual(Object.keys(templates('1.29')).sort(), ['agentgateway', ...pods]);
    assert.deepEqual(Object.keys(templates('1.30')).sort(), ['agentgateway', ...pods]);
  });

  it("keeps 1.27's text byte for byte (verified live with istioctl 1.27 kube-inject)", () => {
    const digests = Object.fromEntries(
      Object.entries(templates('1.27')).map(([k, v]) => [k, digest(v)]),
    );
    assert.deepEqual(digests, {
      sidecar: 'e56f7ddd777e430d',
      gateway: 'e4024af9e90dcd7f',
      'grpc-simple': '37742d22bdc1e7e1',
      'grpc-agent': '30d3502516db8e4a',
      waypoint: '91c07d6cc1bce5f3',
      'kube-gateway': 'ba4b142499933e04',
    });
  });

  it('1.28: the proxy and init containers take global.proxy.seccompProfile', () => {
    assert.doesNotMatch(tpl('1.27', 'sidecar'), /seccompProfile/);
    const t = tpl('1.28', 'sidecar');
    // Once in the init container, once in the proxy body.
    assert.equal(count(t, /with \.Values\.global\.proxy\.seccompProfile/g), 2);
  });

  it('1.28: proxy resources drop nil entries (omitNil)', () => {
    assert.doesNotMatch(tpl('1.27', 'sidecar'), /omitNil/);
    assert.match(tpl('1.28', 'sidecar'), /\.Values\.global\.proxy\.resources \| omitNil/);
    assert.match(tpl('1.28', 'kube-gateway'), /toJson \(omitNil \.\)/);
  });

  it('1.29: the resource env vars of the proxies carry divisor "1"', () => {
    for (const name of ['sidecar', 'gateway', 'kube-gateway', 'waypoint']) {
      assert.equal(count(tpl('1.28', name), /divisor/g), 0, `${name} 1.28`);
      // ISTIO_CPU_LIMIT, GOMEMLIMIT, GOMAXPROCS
      assert.equal(count(tpl('1.29', name), /divisor: "1"/g), 3, `${name} 1.29`);
    }
    assert.match(tpl('1.29', 'sidecar'), /resource: limits\.memory, divisor: "1"/);
  });

  it('1.28: Gateway objects carry the class label; 1.29: they are owned through gateway.networking.k8s.io/v1', () => {
    for (const name of ['kube-gateway', 'waypoint']) {
      assert.doesNotMatch(tpl('1.27', name), /gateway-class-name/);
      assert.match(
        tpl('1.28', name),
        /"gateway\.networking\.k8s\.io\/gateway-class-name" \.GatewayClass/,
      );
      assert.match(tpl('1.28', name), /"apiVersion" "gateway\.networking\.k8s\.io\/v1beta1"/);
      assert.match(tpl('1.29', name), /"apiVersion" "gateway\.networking\.k8s\.io\/v1" /);
    }
  });

  it('1.28: waypoints keep the default grace period and an east-west gateway requests its network view', () => {
    assert.match(tpl('1.27', 'waypoint'), /terminationGracePeriodSeconds: 2/);
    assert.doesNotMatch(tpl('1.27', 'waypoint'), /ISTIO_META_REQUESTED_NETWORK_VIEW/);
    const t = tpl('1.28', 'waypoint');
    assert.doesNotMatch(t, /terminationGracePeriodSeconds/);
    assert.match(t, /eq \$\.ControllerLabel "istio\.io-eastwest-controller"/);
    assert.match(t, /ISTIO_META_REQUESTED_NETWORK_VIEW/);
  });

  it('1.30: the sidecar may get OTEL_RESOURCE_ATTRIBUTES (the gateway template not)', () => {
    assert.doesNotMatch(tpl('1.29', 'sidecar'), /OTEL_RESOURCE_ATTRIBUTES/);
    assert.match(tpl('1.30', 'sidecar'), /otelResourceAttributes \.MeshConfig/);
    assert.doesNotMatch(tpl('1.30', 'gateway'), /OTEL_RESOURCE_ATTRIBUTES/);
  });

  it('agentgateway: 1.29 mounts the xDS token; 1.30 adds CA_ADDRESS and the mesh token and root cert', () => {
    const a29 = tpl('1.29', 'agentgateway');
    assert.match(a29, /- name: agentgateway\n/);
    assert.match(
      a29,
      /name: CPU_LIMIT, valueFrom: \{resourceFieldRef: \{resource: limits\.cpu, divisor: "1"\}\}/,
    );
    assert.match(a29, /\{name: istio-token, mountPath: \/var\/run\/secrets\/xds-tokens\}/);
    assert.doesNotMatch(a29, /CA_ADDRESS|xds-token,/);
    const a30 = tpl('1.30', 'agentgateway');
    assert.match(a30, /name: CA_ADDRESS/);
    assert.match(a30, /\{name: xds-token, mountPath: \/var\/run\/secrets\/xds-tokens\}/);
    assert.match(a30, /\{name: istiod-ca-cert, mountPath: \/var\/run\/secrets\/istio\}/);
    assert.match(a30, /\{name: istio-token, mountPath: \/var\/run\/secrets\/tokens\}/);
    assert.match(a30, /"path": "istio-token"/);
  });

  for (const release of RELEASES) {
    for (const [name, text] of Object.entries(injectionTemplates(release))) {
      it(`${release.minor} ${name}: balances its actions and blocks`, () => {
        assert.doesNotMatch(
          text.replace(/\{\{.*?\}\}/g, ''),
          /\{\{/,
          'actions close on their line',
        );
        const opens = count(text, /\{\{-?\s*(if|range|with|define)\b/g);
        const ends = count(text, /\{\{-?\s*end\b/g);
        assert.equal(opens, ends, 'every if/range/with/define has its end');
        assert.doesNotMatch(text, /\t|@@/, 'no tabs, no unfilled placeholders');
      });
    }
  }
});

describe("render: the injector ConfigMap holds the plan's line's templates", () => {
  const templatesOf = (tag: string) => {
    const cm = find(render({ tag }), 'ConfigMap', 'istio-sidecar-injector');
    const config = yaml.load((cm.data as { config: string }).config) as {
      templates: Record<string, string>;
    };
    return config.templates;
  };

  it('1.27 and 1.28 without agentgateway, 1.29 with it', () => {
    assert.ok(!('agentgateway' in templatesOf('1.27.9')));
    assert.ok(!('agentgateway' in templatesOf('1.28.10')));
    const t = templatesOf('1.29.6');
    assert.equal(t.agentgateway, tpl('1.29', 'agentgateway'));
    assert.equal(t.sidecar, tpl('1.29', 'sidecar'));
  });

  it('a user template of the same name still wins', () => {
    const cm = find(
      render({
        tag: '1.29.6',
        values: { sidecarInjectorWebhook: { templates: { agentgateway: 'mine' } } },
      }),
      'ConfigMap',
      'istio-sidecar-injector',
    );
    const config = yaml.load((cm.data as { config: string }).config) as {
      templates: Record<string, string>;
    };
    assert.equal(config.templates.agentgateway, 'mine');
  });
});
