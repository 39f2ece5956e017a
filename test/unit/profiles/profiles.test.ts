import assert from 'node:assert/strict';
import { getPath } from '../../../src/json/path.js';
import type { IstioOperator } from '../../../src/api/types.js';
import { schemaDiagnostics } from '../../../src/api/schema-validator.js';
import { builtinProfile } from '../../../src/profiles/builtin.js';
import { generateIstioOperator, PROFILE_NAMES } from '../../../src/profiles/index.js';
import { DEFAULT_HUB, ISTIO_VERSION } from '../../../src/version.js';

/** Components that are on in a merged spec (Istio 1.27 rules: present and not enabled:false). */
function enabledComponents(iop: IstioOperator): string[] {
  const c = iop.spec.components ?? {};
  const out: string[] = [];
  for (const name of ['base', 'pilot', 'cni', 'ztunnel'] as const) {
    const comp = c[name];
    if (comp && comp.enabled !== false) out.push(name);
  }
  for (const list of ['ingressGateways', 'egressGateways'] as const) {
    for (const gw of c[list] ?? []) if (gw.enabled !== false) out.push(`${list}:${gw.name}`);
  }
  return out;
}

const profiles: {
  name: string;
  components: string[];
  values: [string, unknown][];
  namespaces?: [string, string][];
}[] = [
  {
    name: 'default',
    components: ['base', 'pilot', 'ingressGateways:istio-ingressgateway'],
    values: [
      ['values.global.istioNamespace', 'istio-system'],
      ['values.global.configValidation', true],
      ['values.defaultRevision', ''],
      ['values.profile', undefined],
      ['meshConfig', undefined],
    ],
  },
  {
    name: 'demo',
    components: [
      'base',
      'pilot',
      'ingressGateways:istio-ingressgateway',
      'egressGateways:istio-egressgateway',
    ],
    values: [
      ['values.profile', 'demo'],
      ['meshConfig.accessLogFile', '/dev/stdout'],
      ['values.pilot.traceSampling', 100],
      ['values.pilot.autoscaleEnabled', false],
      ['values.gateways.istio-ingressgateway.autoscaleEnabled', false],
      ['values.gateways.istio-egressgateway.autoscaleEnabled', false],
      ['values.pilot.resources.requests', { cpu: '10m', memory: '100Mi' }],
      ['values.global.proxy.resources.requests', { cpu: '10m', memory: '40Mi' }],
    ],
  },
  { name: 'minimal', components: ['base', 'pilot'], values: [['values.profile', undefined]] },
  { name: 'empty', components: [], values: [] },
  {
    name: 'remote',
    components: ['base', 'pilot'],
    values: [
      ['values.profile', 'remote'],
      ['values.istiodRemote.enabled', true],
      ['values.pilot.configMap', false],
      ['values.telemetry.enabled', false],
      ['values.global.omitSidecarInjectorConfigMap', true],
    ],
  },
  {
    name: 'preview',
    components: ['base', 'pilot', 'ingressGateways:istio-ingressgateway'],
    values: [
      ['values.profile', 'preview'],
      ['meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE', 'true'],
    ],
  },
  {
    name: 'stable',
    components: ['base', 'pilot', 'ingressGateways:istio-ingressgateway'],
    values: [
      ['values.profile', 'stable'],
      ['values.experimental.stableValidationPolicy', true],
    ],
  },
  {
    name: 'ambient',
    components: ['base', 'pilot', 'cni', 'ztunnel'],
    values: [
      ['values.profile', 'ambient'],
      ['values.global.variant', 'distroless'],
      ['values.pilot.env.PILOT_ENABLE_AMBIENT', 'true'],
      ['values.cni.ambient.enabled', true],
      ['meshConfig.defaultConfig.proxyMetadata.ISTIO_META_ENABLE_HBONE', 'true'],
    ],
  },
  {
    name: 'openshift',
    components: ['base', 'pilot', 'cni', 'ingressGateways:istio-ingressgateway'],
    values: [
      ['values.global.platform', 'openshift'],
      ['values.cni.cniBinDir', '/var/lib/cni/bin'],
      ['values.cni.cniConfDir', '/etc/cni/multus/net.d'],
      ['values.cni.chained', false],
      ['values.cni.provider', 'multus'],
      ['values.pilot.cni.enabled', true],
      ['values.pilot.trustedZtunnelNamespace', 'kube-system'],
    ],
    namespaces: [['cni', 'kube-system']],
  },
  {
    name: 'openshift-ambient',
    components: ['base', 'pilot', 'cni', 'ztunnel'],
    values: [
      ['values.profile', 'ambient'],
      ['values.global.platform', 'openshift'],
      ['values.cni.ambient.enabled', true],
      ['values.cni.provider', 'multus'],
    ],
    namespaces: [
      ['cni', 'kube-system'],
      ['ztunnel', 'kube-system'],
    ],
  },
];

describe('built-in profiles', () => {
  it('the table below covers every profile', () => {
    assert.deepEqual(profiles.map((p) => p.name).sort(), [...PROFILE_NAMES].sort());
  });

  for (const p of profiles) {
    describe(p.name, () => {
      const { iop, warnings } = generateIstioOperator({ files: [], set: [], profile: p.name });

      it(`enables ${p.components.join(', ') || 'nothing'}`, () => {
        assert.deepEqual(enabledComponents(iop), p.components);
      });

      it('validates without warnings (remote: only what a remote cluster must be told) and records its name', () => {
        // A remote cluster needs its name, its primary's address and its
        // injector path: the profile cannot know them (api/multicluster.ts).
        assert.deepEqual(
          warnings.map((w) => w.path),
          p.name === 'remote'
            ? [
                'spec.values.global.multiCluster.clusterName',
                'spec.values.global.remotePilotAddress',
                'spec.values.istiodRemote.injectionPath',
              ]
            : [],
        );
        assert.equal(iop.spec.profile, p.name);
      });

      it('takes hub and tag from the operator build, namespace istio-system', () => {
        assert.equal(iop.spec.hub, DEFAULT_HUB);
        assert.equal(iop.spec.tag, ISTIO_VERSION);
        assert.equal(iop.spec.namespace, 'istio-system');
        assert.equal(iop.metadata.namespace, 'istio-system');
      });

      for (const [path, want] of p.values) {
        it(`sets spec.${path} = ${JSON.stringify(want)}`, () => {
          assert.deepEqual(getPath(iop.spec, path.split('.')), want);
        });
      }

      for (const [component, ns] of p.namespaces ?? []) {
        it(`installs ${component} into ${ns}`, () => {
          assert.equal(getPath(iop.spec, ['components', component, 'namespace']), ns);
        });
      }
    });
  }

  it('ships demo ingress ports including tcp 31400 and tls 15443', () => {
    const { iop } = generateIstioOperator({ files: [], set: [], profile: 'demo' });
    const ports = getPath(iop.spec, ['values', 'gateways', 'istio-ingressgateway', 'ports']) as {
      name: string;
      port: number;
      targetPort: number;
    }[];
    assert.deepEqual(
      ports.map((x) => `${x.name}:${x.port}->${x.targetPort}`),
      [
        'status-port:15021->15021',
        'http2:80->8080',
        'https:443->8443',
        'tcp:31400->31400',
        'tls:15443->15443',
      ],
    );
  });
});

describe('built-in profiles against the schema', () => {
  // generateIstioOperator checks the schema on the user's layer only, which
  // is sound only while every built-in profile is valid on its own.
  it('every built-in profile is valid as it stands', () => {
    for (const name of PROFILE_NAMES) {
      const ds = schemaDiagnostics({
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        ...builtinProfile(name),
      });
      assert.deepEqual(ds, [], name);
    }
  });

  it('still names a bad field a user layer brings, next to a valid profile', () => {
    assert.throws(
      () =>
        generateIstioOperator({
          files: [
            {
              name: 'x.yaml',
              content:
                'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n  values:\n    global:\n      proxy:\n        privileged: "yes"\n',
            },
          ],
          set: ['values.pilot.replicaCount=two'],
        }),
      (e: Error & { diagnostics?: { path: string }[] }) =>
        ['spec.values.global.proxy.privileged', 'spec.values.pilot.replicaCount'].every((p) =>
          e.diagnostics?.some((d) => d.path === p),
        ),
    );
  });
});
