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
  it('1.27 and 1.28 ship six templates; 1.29 and 1.30 add agentgateway; 1.31 agentgateway-waypoint', () => {
    const pods = ['gateway', 'grpc-agent', 'grpc-simple', 'kube-gateway', 'sidecar', 'waypoint'];
    assert.deepEqual(Object.keys(templates('1.27')).sort(), pods);
    assert.deepEqual(Object.keys(templates('1.28')).sort(), pods);
    assert.deepEqual(Object.keys(templates('1.29')).sort(), ['agentgateway', ...pods]);
    assert.deepEqual(Object.keys(templates('1.30')).sort(), ['agentgateway', ...pods]);
    assert.deepEqual(Object.keys(templates('1.31')).sort(), [
      'agentgateway',
      'agentgateway-waypoint',
      ...pods,
    ]);
    // In the injector ConfigMap's order, as Istio's chart writes them.
    assert.deepEqual(Object.keys(templates('1.31')).slice(-2), [
      'agentgateway',
      'agentgateway-waypoint',
    ]);
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

  it('1.31: the init container runs .ProxyInitImage (a registry in the proxyImage annotation still wins)', () => {
    const initImage = (minor: IstioMinor) =>
      /\n {2}- name: \{\{ if \.Values\.pilot\.cni\.enabled \}\}istio-validation.*\n {4}image: (.*)\n/.exec(
        tpl(minor, 'sidecar'),
      )?.[1];
    const i30 = initImage('1.30');
    const i31 = initImage('1.31');
    assert.match(i30!, /\{\{ \.ProxyImage \| quote \}\}/);
    assert.doesNotMatch(i30!, /ProxyInitImage/);
    assert.match(i31!, /\{\{ \.ProxyInitImage \| quote \}\}/);
    assert.doesNotMatch(i31!, /\.ProxyImage\b/);
    assert.match(
      i31!,
      /contains "\/" \(annotation \.ObjectMeta "sidecar\.istio\.io\/proxyImage" \.Values\.global\.proxy_init\.image\)/,
    );
    // The proxy itself keeps .ProxyImage.
    assert.match(tpl('1.31', 'sidecar'), /\{\{- \$image := \.ProxyImage \}\}/);
  });

  it('1.31: the sidecar trims "-", "_" and "." off both ends of the canonical name (gateway and grpc-agent unchanged)', () => {
    const name = (minor: IstioMinor, t: string) =>
      /service\.istio\.io\/canonical-name: .*\| trunc 63 \| (.*) \| quote \}\}/.exec(
        tpl(minor, t),
      )?.[1];
    assert.equal(name('1.30', 'sidecar'), 'trimSuffix "-"');
    assert.equal(name('1.31', 'sidecar'), 'trimAll "-_."');
    for (const t of ['gateway', 'grpc-agent']) assert.equal(name('1.31', t), 'trimSuffix "-"', t);
  });

  it('1.31: under compliance policy fips-140-3 the sidecar and gateway proxies get GODEBUG=fips140=only', () => {
    const fips =
      /- name: COMPLIANCE_POLICY\n {6}value: \{\{ \.CompliancePolicy \| quote \}\}\n {4}\{\{- if eq \.CompliancePolicy "fips-140-3" \}\}\n {4}- name: GODEBUG\n {6}value: "fips140=only"\n {4}\{\{- end \}\}\n {4}\{\{- end \}\}/;
    for (const t of ['sidecar', 'gateway']) {
      assert.doesNotMatch(tpl('1.30', t), /GODEBUG/, `${t} 1.30`);
      assert.match(tpl('1.31', t), fips, `${t} 1.31`);
    }
    // Istio 1.31 adds it to these two templates only.
    for (const t of [
      'grpc-agent',
      'kube-gateway',
      'waypoint',
      'agentgateway',
      'agentgateway-waypoint',
    ])
      assert.doesNotMatch(tpl('1.31', t), /GODEBUG/, t);
  });

  it('1.30: the gateway template lists COMPLIANCE_POLICY before the app containers, as Istio does', () => {
    const order = (minor: IstioMinor, t: string) =>
      [
        ...tpl(minor, t).matchAll(
          /- name: (COMPLIANCE_POLICY|ISTIO_META_APP_CONTAINERS|GOMAXPROCS)\n/g,
        ),
      ].map((m) => m[1]);
    assert.deepEqual(order('1.29', 'gateway'), [
      'GOMAXPROCS',
      'ISTIO_META_APP_CONTAINERS',
      'COMPLIANCE_POLICY',
    ]);
    for (const minor of ['1.30', '1.31'] as const)
      assert.deepEqual(
        order(minor, 'gateway'),
        ['GOMAXPROCS', 'COMPLIANCE_POLICY', 'ISTIO_META_APP_CONTAINERS'],
        minor,
      );
    // The sidecar's order was right all along.
    for (const minor of ['1.29', '1.31'] as const)
      assert.deepEqual(
        order(minor, 'sidecar'),
        ['ISTIO_META_APP_CONTAINERS', 'GOMAXPROCS', 'COMPLIANCE_POLICY'],
        minor,
      );
  });

  it('1.31: kube-gateway and waypoint write the workload socket as a bare emptyDir', () => {
    for (const t of ['kube-gateway', 'waypoint']) {
      assert.match(tpl('1.30', t), /- \{name: workload-socket, emptyDir: \{\}\}/, `${t} 1.30`);
      assert.match(tpl('1.31', t), /- \{name: workload-socket, emptyDir: null\}/, `${t} 1.31`);
      // The other empty dirs keep `{}`.
      assert.match(tpl('1.31', t), /- \{name: istio-data, emptyDir: \{\}\}/, t);
    }
    const loaded = yaml.load('- {name: workload-socket, emptyDir: null}') as [
      { emptyDir: unknown },
    ];
    assert.equal(loaded[0].emptyDir, null, 'what the controller applies: emptyDir null');
  });

  it("1.31: kube-gateway's Service ports carry the controller's protocol (waypoint and agentgateway stay TCP)", () => {
    const portLine = (minor: IstioMinor, t: string) =>
      /\n {2}- \{"name": \{\{ \.Name \| quote \}\}, "port": \{\{ \.Port \}\}, "protocol": (.*), "appProtocol"/.exec(
        tpl(minor, t),
      )?.[1];
    assert.equal(portLine('1.30', 'kube-gateway'), '"TCP"');
    assert.equal(portLine('1.31', 'kube-gateway'), '{{ toJson .Protocol }}');
    for (const t of ['waypoint', 'agentgateway', 'agentgateway-waypoint'])
      assert.equal(portLine('1.31', t), '"TCP"', t);
  });

  it('1.31: agentgateway-waypoint is the agentgateway Deployment as an ambient waypoint', () => {
    const g = tpl('1.31', 'agentgateway');
    const w = tpl('1.31', 'agentgateway-waypoint');
    assert.equal(g, tpl('1.30', 'agentgateway'), 'agentgateway itself is unchanged in 1.31');
    // Its own controller label, on the Deployment and its pods.
    assert.equal(
      count(w, /"gateway\.istio\.io\/managed" "istio\.io-agentgateway-waypoint-controller"/g),
      2,
    );
    assert.doesNotMatch(w, /istio\.io-agentgateway-controller/);
    // Never captured itself.
    assert.match(
      w,
      /strdict "sidecar\.istio\.io\/inject" "false" "istio\.io\/dataplane-mode" "none"/,
    );
    // No pod securityContext (no low ports), no proxy lifecycle.
    assert.doesNotMatch(w, /net\.ipv4\.ip_unprivileged_port_start|\$podSecurity|lifecycle/);
    // Sized like a waypoint; the container takes the gateways' seccomp profile.
    assert.match(
      w,
      /\{\{- with \.Values\.global\.waypoint\.resources \}\}\n {8}resources: \{\{ toJson \(omitNil \.\) \}\}/,
    );
    assert.doesNotMatch(w, /global\.proxy\.resources/);
    assert.match(
      w,
      /"runAsNonRoot": true\{\{ with \.Values\.gateways\.seccompProfile \}\}, "seccompProfile": \{\{ toJson \. \}\}\{\{ end \}\}\}/,
    );
    // The rest as agentgateway: the proxy, its env, the CA client, tokens, the Service.
    for (const re of [
      /- name: agentgateway\n/,
      /\{name: CA_ADDRESS, value: \{\{ \$caAddr \| quote \}\}\}/,
      /\{name: XDS_ADDRESS, value: \{\{ \.ProxyConfig\.DiscoveryAddress \| quote \}\}\}/,
      /\{name: xds-token, mountPath: \/var\/run\/secrets\/xds-tokens\}/,
      /\{name: istio-token, mountPath: \/var\/run\/secrets\/tokens\}/,
      /\n {2}ownerReferences: \{\{ \$owner \}\}\n---\napiVersion: apps\/v1/,
      /kind: Service\n/,
      /kind: PodDisruptionBudget\n/,
    ])
      assert.match(w, re);
    assert.doesNotMatch(
      w,
      /traffic-distribution/,
      'no PreferClose annotation (the Envoy waypoint has it)',
    );
  });

  it('writes every value read from a pod annotation quoted (the fixed form of Istio 1.30.4 and 1.31.1), on every line', () => {
    // The annotation values Istio's security releases started quoting: the
    // proxy and init images, the log-level flags and the bootstrap
    // ConfigMap's name. A raw value could carry YAML into the pod. The
    // readiness-probe numbers are left bare: istiod refuses a pod whose
    // readiness annotations are not unsigned integers before it renders.
    const fromAnnotation = /annotation \.ObjectMeta|\$ann\b|\$image\b|\$agentImage\b|\$mode\b/;
    for (const release of RELEASES) {
      for (const [name, text] of Object.entries(injectionTemplates(release))) {
        const outputs = (text.match(/\{\{[^}]*\}\}/g) ?? []).filter(
          (a) =>
            !/^\{\{-? *((if|else|end|with|range|define|template)\b|\$[A-Za-z_]+ *:?=)/.test(a) &&
            fromAnnotation.test(a),
        );
        for (const a of outputs) {
          if (/"readiness\.status\.sidecar\.istio\.io\/[A-Za-z]+"/.test(a)) continue;
          assert.match(a, /\| quote \}\}$/, `${release.minor} ${name}: ${a}`);
        }
      }
    }
    // The places the fix changed, in the pod templates of 1.31.
    const s = tpl('1.31', 'sidecar');
    for (const re of [
      /image: \{\{ \$image \| quote \}\}/,
      /\{\{ annotation \.ObjectMeta "sidecar\.istio\.io\/proxyImage" \.Values\.global\.proxy_init\.image \| quote \}\}/,
      /- \{\{ printf "--proxyLogLevel=%s" \(annotation \.ObjectMeta "sidecar\.istio\.io\/logLevel" \.Values\.global\.proxy\.logLevel\) \| quote \}\}/,
      /- \{\{ printf "--proxyComponentLogLevel=%s" \(annotation \.ObjectMeta "sidecar\.istio\.io\/componentLogLevel" \.Values\.global\.proxy\.componentLogLevel\) \| quote \}\}/,
      /name: \{\{ index \$ann "sidecar\.istio\.io\/bootstrapOverride" \| quote \}\}/,
    ])
      assert.match(s, re);
    // istio-init and istio-proxy both pass the agent log level quoted.
    assert.equal(
      count(
        s,
        /- \{\{ printf "--log_output_level=%s" \(annotation \.ObjectMeta "sidecar\.istio\.io\/agentLogLevel" \.Values\.global\.logging\.level\) \| quote \}\}/g,
      ),
      2,
    );
    for (const t of ['gateway', 'grpc-agent', 'kube-gateway', 'waypoint'])
      assert.match(tpl('1.31', t), /image: \{\{ \$image \| quote \}\}/, t);
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

  it('1.31 with agentgateway-waypoint, unless the user brings a template of that name', () => {
    assert.ok(!('agentgateway-waypoint' in templatesOf('1.30.8')));
    const t = templatesOf('1.31.4');
    assert.equal(t['agentgateway-waypoint'], tpl('1.31', 'agentgateway-waypoint'));
    assert.equal(t.sidecar, tpl('1.31', 'sidecar'));
    const cm = find(
      render({
        tag: '1.31.4',
        values: { sidecarInjectorWebhook: { templates: { 'agentgateway-waypoint': 'mine' } } },
      }),
      'ConfigMap',
      'istio-sidecar-injector',
    );
    const config = yaml.load((cm.data as { config: string }).config) as {
      templates: Record<string, string>;
    };
    assert.equal(config.templates['agentgateway-waypoint'], 'mine');
    assert.equal(config.templates.agentgateway, tpl('1.31', 'agentgateway'));
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
