import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseManifest } from '../../src/yaml/manifest.js';
import type { K8sObject } from '../../src/render/object.js';
import { compareObjects, formatDifferences, staleAllowances } from './compare.js';
import { casesFor, injectCase, injectorFlags, iopYaml } from './injection-cases.js';
import { istioctl, ISTIOCTL_BUILD_TIMEOUT_MS, LIVE_LINES, run } from './istioctl.js';
import { liveTag, renderOurs } from './ours.js';
import { releaseOfMinor } from '../../src/releases/catalog.js';

for (const minor of LIVE_LINES) {
  const release = releaseOfMinor(minor);
  const tag = liveTag(minor);
  const tagFlag = `tag=${tag}`;

  describe(`conformance: sidecar injection with Istio's own injector (istioctl ${minor} kube-inject, live, tag ${tag ?? '?'})`, function () {
    let bin = '';
    let dir = '';

    before(async function () {
      this.timeout(ISTIOCTL_BUILD_TIMEOUT_MS);
      if (!release || tag === undefined)
        throw new Error(`src/releases/catalog.ts carries no ${minor} line to compare`);
      bin = await istioctl(minor);
      dir = mkdtempSync(join(tmpdir(), 'inject-'));
    });

    after(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const c of release ? casesFor(release.minor) : []) {
      it(`injects the sample workloads identically (${c.name})`, async () => {
        const { oracle: a, ours: b } = await injectCase(bin, tag!, c, dir);
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
      const gen = await run(bin, ['manifest', 'generate', '-f', inputFile, '--set', tagFlag]);
      assert.equal(gen.code, 0, gen.stderr);
      const sides: [string, K8sObject[]][] = [
        ['istioctl', parseManifest(gen.stdout, 'istioctl')],
        ['ours', renderOurs('gateway-injected.yaml', input, [tagFlag])],
      ];
      const pods: K8sObject[][] = [];
      for (const [side, objects] of sides) {
        const gw = objects.filter(
          (o) => o.kind === 'Deployment' && o.metadata.name === 'istio-ingressgateway',
        );
        assert.equal(gw.length, 1, `${side} renders the gateway`);
        const file = join(dir, `gateway-${side}.yaml`);
        writeFileSync(file, yaml.dump(gw[0]));
        // A revision, as injectCase passes: without one, istioctl 1.28+
        // asks a cluster for the default revision.
        const r = await run(bin, [
          'kube-inject',
          '-f',
          file,
          ...injectorFlags(objects, dir, `gateway-${side}`),
          '--revision',
          'default',
        ]);
        assert.equal(r.code, 0, `kube-inject (${side}) failed:\n${r.stderr}`);
        pods.push(parseManifest(r.stdout, side));
      }
      const [a, b] = pods as [K8sObject[], K8sObject[]];
      assert.ok(JSON.stringify(a).includes(`proxyv2:${tag}"`), 'the proxy image was injected');
      const r = compareObjects('injection', a, b);
      assert.equal(
        r.unexplained.length,
        0,
        `${r.unexplained.length} unexplained difference(s):\n${formatDifferences(r.unexplained)}`,
      );
    });
  });
}

describe('conformance: the injection allow-list', () => {
  // After every line's suite: an entry may serve some lines only.
  it('uses every injection allow-list entry (none is stale)', () => {
    assert.deepEqual(staleAllowances('injection'), []);
  });
});
