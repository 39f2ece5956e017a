import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseManifest } from '../../src/render/diff.js';
import type { K8sObject } from '../../src/render/object.js';
import { compareObjects, formatDifferences, staleAllowances } from './compare.js';
import { injectorInputs, writeInjectorInputs } from './injector-files.js';
import { istioctl, ISTIOCTL_BUILD_TIMEOUT_MS, run } from './istioctl.js';
import { renderOurs, TAG_FLAG } from './ours.js';

const WORKLOADS = join(import.meta.dirname, 'workloads', 'workloads.yaml');

/** Control-plane settings the injector's output depends on, each rendered by both sides. */
const CASES: {
  name: string;
  spec: Record<string, unknown>;
  revision?: string;
  /** Environment of istioctl kube-inject (istiod's feature flags). */
  env?: Record<string, string>;
}[] = [
  { name: 'default', spec: {} },
  { name: 'native-sidecars', spec: {}, env: { ENABLE_NATIVE_SIDECARS: 'true' } },
  { name: 'cni', spec: { components: { cni: { enabled: true } } } },
  { name: 'ambient', spec: { profile: 'ambient' } },
  { name: 'revision', spec: { revision: 'canary' }, revision: 'canary' },
  { name: 'demo', spec: { profile: 'demo' } },
  {
    name: 'proxy-values',
    spec: {
      values: {
        global: {
          caAddress: 'ca.example.com:443',
          mountMtlsCerts: true,
          nativeNftables: true,
          logging: { level: 'all:debug' },
          sts: { servicePort: 15463 },
          proxy: {
            holdApplicationUntilProxyStarts: true,
            privileged: true,
            logLevel: 'debug',
            componentLogLevel: 'misc:warn',
            outlierLogPath: '/dev/stdout',
            readinessPeriodSeconds: 7,
            startupProbe: { enabled: false },
            excludeOutboundPorts: '6379',
            tracer: 'datadog',
          },
        },
        sidecarInjectorWebhook: { rewriteAppHTTPProbe: false },
      },
    },
  },
  {
    name: 'mesh-and-values',
    spec: {
      meshConfig: {
        defaultConfig: {
          holdApplicationUntilProxyStarts: true,
          proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true' },
        },
        trustDomain: 'example.org',
      },
      values: {
        global: {
          logAsJson: true,
          meshID: 'mesh1',
          network: 'net1',
          multiCluster: { clusterName: 'c1' },
          imagePullPolicy: 'IfNotPresent',
          imagePullSecrets: ['regcred'],
          proxy: {
            includeIPRanges: '10.0.0.0/8',
            excludeIPRanges: '10.0.0.1/32',
            resources: { requests: { cpu: '20m', memory: '64Mi' } },
          },
        },
      },
    },
  },
];

function iopYaml(spec: Record<string, unknown>): string {
  return yaml.dump({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec });
}

/** The kube-inject flags for a rendered manifest's injector ConfigMaps (written to `dir`). */
function injectorFiles(objects: K8sObject[], dir: string, side: string): string[] {
  const f = writeInjectorInputs(injectorInputs(objects, side), dir, side);
  return ['--injectConfigFile', f.config, '--valuesFile', f.values, '--meshConfigFile', f.mesh];
}

describe("conformance: sidecar injection with Istio's own injector (istioctl kube-inject)", function () {
  let bin = '';
  let dir = '';

  before(async function () {
    this.timeout(ISTIOCTL_BUILD_TIMEOUT_MS);
    bin = await istioctl();
    dir = mkdtempSync(join(tmpdir(), 'inject-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`injects the sample workloads identically (${c.name})`, async () => {
      const input = iopYaml(c.spec);
      const inputFile = join(dir, `${c.name}-iop.yaml`);
      writeFileSync(inputFile, input);
      const gen = await run(bin, ['manifest', 'generate', '-f', inputFile, '--set', TAG_FLAG]);
      assert.equal(gen.code, 0, gen.stderr);
      const theirs = parseManifest(gen.stdout, 'istioctl');
      const ours = renderOurs(`${c.name}.yaml`, input, [TAG_FLAG]);
      const rev = c.revision ? ['--revision', c.revision] : [];
      const inject = async (objects: K8sObject[], side: string) => {
        const r = await run(
          bin,
          [
            'kube-inject',
            '-f',
            WORKLOADS,
            ...injectorFiles(objects, dir, `${c.name}-${side}`),
            ...rev,
          ],
          c.env,
        );
        assert.equal(r.code, 0, `kube-inject with ${side} ConfigMaps failed:\n${r.stderr}`);
        return parseManifest(r.stdout, side);
      };
      const [a, b] = [await inject(theirs, 'istioctl'), await inject(ours, 'ours')];
      assert.equal(a.length, 12, 'every sample workload comes back');
      const injected = a.filter((o) => JSON.stringify(o).includes('"istio-proxy"'));
      assert.ok(injected.length >= 10, 'the samples were really injected');
      if (c.env?.ENABLE_NATIVE_SIDECARS === 'true') {
        const web = a.find((o) => o.metadata.name === 'web');
        const pod = (web?.spec as { template: { spec: { initContainers?: { name: string }[] } } })
          .template.spec;
        assert.ok(
          pod.initContainers?.some((x) => x.name === 'istio-proxy'),
          'native sidecars: istio-proxy runs as an init container',
        );
      }
      const r = compareObjects('injection', a, b);
      assert.equal(
        r.unexplained.length,
        0,
        `${r.unexplained.length} unexplained difference(s):\n${formatDifferences(r.unexplained)}`,
      );
    });
  }

  it('injects a gateway Deployment rendered with injectionTemplate like istioctl', async () => {
    // End to end: each side renders the gateway Deployment and the injector
    // ConfigMaps; Istio's injector then completes each side's gateway.
    const input = iopYaml({
      values: { gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } } },
    });
    const inputFile = join(dir, 'gateway-injected-iop.yaml');
    writeFileSync(inputFile, input);
    const gen = await run(bin, ['manifest', 'generate', '-f', inputFile, '--set', TAG_FLAG]);
    assert.equal(gen.code, 0, gen.stderr);
    const sides: [string, K8sObject[]][] = [
      ['istioctl', parseManifest(gen.stdout, 'istioctl')],
      ['ours', renderOurs('gateway-injected.yaml', input, [TAG_FLAG])],
    ];
    const pods: K8sObject[][] = [];
    for (const [side, objects] of sides) {
      const gw = objects.filter(
        (o) => o.kind === 'Deployment' && o.metadata.name === 'istio-ingressgateway',
      );
      assert.equal(gw.length, 1, `${side} renders the gateway`);
      const file = join(dir, `gateway-${side}.yaml`);
      writeFileSync(file, yaml.dump(gw[0]));
      const r = await run(bin, [
        'kube-inject',
        '-f',
        file,
        ...injectorFiles(objects, dir, `gateway-${side}`),
      ]);
      assert.equal(r.code, 0, `kube-inject (${side}) failed:\n${r.stderr}`);
      pods.push(parseManifest(r.stdout, side));
    }
    const [a, b] = pods as [K8sObject[], K8sObject[]];
    assert.match(JSON.stringify(a), /proxyv2:1\.27\.0/, 'the proxy image was injected');
    const r = compareObjects('injection', a, b);
    assert.equal(
      r.unexplained.length,
      0,
      `${r.unexplained.length} unexplained difference(s):\n${formatDifferences(r.unexplained)}`,
    );
  });

  it('uses every injection allow-list entry (none is stale)', () => {
    assert.deepEqual(staleAllowances('injection'), []);
  });
});
