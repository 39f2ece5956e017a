import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { ensureBinaries } from '../../src/cluster/binaries.js';
import { parseManifest } from '../../src/yaml/manifest.js';
import type { K8sObject } from '../../src/render/object.js';
import { compareObjects, formatDifferences, formatShare, staleAllowances } from './compare.js';
import { injectorInputs, writeInjectorInputs } from './injector-files.js';
import { istioctl, ISTIOCTL_BUILD_TIMEOUT_MS, run } from './istioctl.js';
import { renderOurs, TAG_FLAG } from './ours.js';

/**
 * Gateways for istiod's deployment controller: a plain `istio`-class
 * Gateway; one with infrastructure labels/annotations, a parameters
 * ConfigMap (HPA, PDB and Deployment overlays), an address, annotations
 * for log level, proxy image, service account and name; and an ambient
 * waypoint.
 */
function gatewayInputs(opts: { waypoint: boolean; revision?: string }): string {
  const rev = opts.revision ? { 'istio.io/rev': opts.revision } : {};
  const docs: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: 'web',
        namespace: 'apps',
        uid: '7d1f9c1e-2b7a-4f7e-9a53-0c9e9d2b1a01',
        labels: { app: 'web', ...rev },
        annotations: { 'networking.istio.io/service-type': 'ClusterIP' },
      },
      spec: {
        gatewayClassName: 'istio',
        listeners: [
          { name: 'http', port: 80, protocol: 'HTTP' },
          {
            name: 'https.example.com',
            hostname: 'example.com',
            port: 443,
            protocol: 'HTTPS',
            tls: { mode: 'Terminate', certificateRefs: [{ name: 'example-cert' }] },
          },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'edge-params', namespace: 'apps' },
      data: {
        deployment: 'spec:\n  replicas: 2\n',
        horizontalPodAutoscaler: 'spec:\n  minReplicas: 2\n  maxReplicas: 5\n',
        podDisruptionBudget: 'spec:\n  minAvailable: 1\n',
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: 'edge',
        namespace: 'apps',
        uid: '7d1f9c1e-2b7a-4f7e-9a53-0c9e9d2b1a02',
        labels: { team: 'edge', ...rev },
        annotations: {
          'sidecar.istio.io/logLevel': 'debug',
          'sidecar.istio.io/proxyImage': 'registry.example.com/istio/proxyv2:1.27.0-custom',
          'gateway.istio.io/service-account': 'edge-proxy',
          'gateway.istio.io/name-override': 'edge-gw',
        },
      },
      spec: {
        gatewayClassName: 'istio',
        addresses: [{ type: 'IPAddress', value: '203.0.113.7' }],
        infrastructure: {
          labels: {
            tier: 'front',
            'topology.istio.io/network': 'net2',
            'gateway.networking.k8s.io/ignored': 'x',
          },
          annotations: {
            owner: 'edge-team',
            'kubectl.kubernetes.io/last-applied-configuration': '{}',
          },
          parametersRef: { group: '', kind: 'ConfigMap', name: 'edge-params' },
        },
        listeners: [
          { name: 'tcp', port: 9000, protocol: 'TCP' },
          { name: 'http', port: 80, protocol: 'HTTP' },
          { name: 'http-again', port: 80, protocol: 'HTTP', hostname: 'b.example.com' },
        ],
      },
    },
  ];
  if (opts.waypoint) {
    docs.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: 'waypoint',
        namespace: 'apps',
        uid: '7d1f9c1e-2b7a-4f7e-9a53-0c9e9d2b1a03',
        labels: { 'istio.io/waypoint-for': 'service', ...rev },
      },
      spec: {
        gatewayClassName: 'istio-waypoint',
        listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }],
      },
    });
  }
  return docs.map((d) => yaml.dump(d)).join('---\n');
}

/** Control-plane settings the templates read, each rendered by both sides. */
const CASES: {
  name: string;
  spec: Record<string, unknown>;
  waypoint: boolean;
  revision?: string;
  /** istiod's environment (feature flags). */
  env?: Record<string, string>;
}[] = [
  { name: 'default', spec: {}, waypoint: false },
  {
    name: 'ambient with a waypoint',
    spec: { profile: 'ambient' },
    waypoint: true,
    env: { PILOT_ENABLE_AMBIENT: 'true' },
  },
  {
    name: 'revision, gateway pod securityContext',
    spec: {
      revision: 'canary',
      values: { gateways: { securityContext: { runAsNonRoot: true, fsGroup: 1337 } } },
    },
    waypoint: false,
    revision: 'canary',
  },
  {
    name: 'mesh and values knobs, ambient',
    spec: {
      profile: 'ambient',
      meshConfig: {
        trustDomain: 'example.org',
        defaultConfig: { proxyMetadata: { EXTRA_FLAG: 'on' } },
      },
      values: {
        pilot: { env: { ENABLE_CLUSTER_TRUST_BUNDLE_API: true } },
        gateways: { seccompProfile: { type: 'RuntimeDefault' } },
        global: {
          meshID: 'mesh1',
          network: 'net1',
          logAsJson: true,
          imagePullPolicy: 'IfNotPresent',
          imagePullSecrets: ['regcred'],
          sts: { servicePort: 15463 },
          multiCluster: { clusterName: 'c1' },
          logging: { level: 'default:debug' },
          proxy: {
            outlierLogPath: '/dev/stdout',
            resources: { requests: { cpu: '50m', memory: '64Mi' } },
            lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
          },
          waypoint: {
            resources: { requests: { cpu: '10m' } },
            // (Not nodeSelector: istioctl 1.27 types it as a core/v1
            // NodeSelector, so a plain label map is refused.)
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchExpressions: [{ key: 'pool', operator: 'In', values: ['mesh'] }] },
                  ],
                },
              },
            },
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' },
            ],
          },
        },
      },
    },
    waypoint: true,
    env: { PILOT_ENABLE_AMBIENT: 'true' },
  },
];

describe("conformance: kube-gateway and waypoint through istiod's own Gateway deployment controller", function () {
  let ctl = '';
  let render = '';
  let dir = '';
  const shares: string[] = [];

  before(async function () {
    this.timeout(ISTIOCTL_BUILD_TIMEOUT_MS);
    ctl = await istioctl();
    render = (
      await ensureBinaries(['gateway-render'], {
        onProgress: (line) => process.stderr.write(`  [gateway-render] ${line}\n`),
      })
    )['gateway-render'];
    dir = mkdtempSync(join(tmpdir(), 'gateway-render-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (shares.length) process.stdout.write(`\n  equal fields per case:\n${shares.join('\n')}\n\n`);
  });

  CASES.forEach((c, i) => {
    it(`deploys the sample Gateways like Istio's templates (${c.name})`, async () => {
      const input = yaml.dump({
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        spec: c.spec,
      });
      const iopFile = join(dir, `case-${i}-iop.yaml`);
      writeFileSync(iopFile, input);
      const gen = await run(ctl, ['manifest', 'generate', '-f', iopFile, '--set', TAG_FLAG]);
      assert.equal(gen.code, 0, gen.stderr);
      const gatewaysFile = join(dir, `case-${i}-gateways.yaml`);
      writeFileSync(gatewaysFile, gatewayInputs(c));
      const sides: [string, K8sObject[]][] = [
        ['istioctl', parseManifest(gen.stdout, 'istioctl')],
        ['ours', renderOurs(`case-${i}.yaml`, input, [TAG_FLAG])],
      ];
      const rendered: K8sObject[][] = [];
      for (const [side, objects] of sides) {
        const f = writeInjectorInputs(injectorInputs(objects, side), dir, `case-${i}-${side}`);
        const r = await run(
          render,
          [
            '-config',
            f.config,
            '-values',
            f.values,
            '-mesh',
            f.mesh,
            ...(c.revision ? ['-revision', c.revision] : []),
            gatewaysFile,
          ],
          c.env,
        );
        assert.equal(r.code, 0, `gateway-render with ${side}'s ConfigMaps failed:\n${r.stderr}`);
        rendered.push(parseManifest(r.stdout, `gateway-render (${side})`));
      }
      const [theirs, ours] = rendered as [K8sObject[], K8sObject[]];
      const kinds = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      const expected = [
        'Deployment/edge-gw',
        'Deployment/web-istio',
        'HorizontalPodAutoscaler/edge-gw',
        'PodDisruptionBudget/edge-gw',
        'Service/edge-gw',
        'Service/web-istio',
        'ServiceAccount/edge-proxy',
        'ServiceAccount/web-istio',
        ...(c.waypoint
          ? ['Deployment/waypoint', 'Service/waypoint', 'ServiceAccount/waypoint']
          : []),
      ].sort();
      assert.deepEqual(kinds(theirs), expected, "Istio's templates deploy every sample Gateway");
      const r = compareObjects('gateway-templates', theirs, ours);
      shares.push(`    ${formatShare(c.name, r)}`);
      assert.ok(r.equal > 100, 'the comparison saw the rendered fields');
      assert.equal(
        r.unexplained.length,
        0,
        `${r.unexplained.length} unexplained difference(s):\n${formatDifferences(r.unexplained)}`,
      );
    });
  });

  it('uses every gateway-templates allow-list entry (none is stale)', () => {
    assert.deepEqual(staleAllowances('gateway-templates'), []);
  });
});
