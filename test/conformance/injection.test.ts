import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseManifest } from '../../src/render/diff.js';
import type { K8sObject } from '../../src/render/object.js';
import { compareObjects, formatDifferences, staleAllowances } from './compare.js';
import { casesFor, injectCase, injectorFlags, iopYaml } from './injection-cases.js';
import { istioctl, ISTIOCTL_BUILD_TIMEOUT_MS, run } from './istioctl.js';
import { renderOurs, TAG_FLAG } from './ours.js';

/** The tag both sides render (ours.ts): the oracle is istioctl 1.27.0. */
const TAG = TAG_FLAG.replace(/^tag=/, '');

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

  for (const c of casesFor('1.27')) {
    it(`injects the sample workloads identically (${c.name})`, async () => {
      const { oracle: a, ours: b } = await injectCase(bin, TAG, c, dir);
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
        ...injectorFlags(objects, dir, `gateway-${side}`),
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
