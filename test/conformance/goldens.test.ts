import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  corpusFor,
  CORPUS,
  crdDigest,
  GOLDEN_PATCHES,
  GOLDENS,
  istioInputGoldens,
  minorOf,
  type CrdDigests,
  type ManifestGolden,
} from '../../scripts/conformance-goldens.js';
import { istioctlFor } from '../../src/cluster/binaries.js';
import { RELEASES } from '../../src/releases/catalog.js';
import type { K8sObject } from '../../src/render/object.js';
import { assertSameManifest, formatShare, meshTextDifferences } from './compare.js';
import { describeIstioInputGoldens } from './istio-inputs.js';
import { renderOurs } from './ours.js';

describe('conformance: every Istio line is compared with its own istioctl, live or through goldens', () => {
  it('has a live oracle (module-built istioctl) or committed goldens for every line of the catalog', () => {
    const uncompared = RELEASES.map((r) => r.minor).filter(
      (m) => !istioctlFor(m) && !GOLDEN_PATCHES.some((p) => minorOf(p) === m),
    );
    assert.deepEqual(uncompared, []);
  });

  it('keeps goldens only of lines without a live oracle, and no folder of another patch', () => {
    assert.deepEqual(
      GOLDEN_PATCHES.filter((p) => istioctlFor(minorOf(p))),
      [],
      'a line compared live needs no goldens',
    );
    assert.deepEqual(readdirSync(GOLDENS).sort(), [...GOLDEN_PATCHES].sort());
  });
});

/** What a golden leaves out of istioctl's render, left out of ours alike. */
const compared = (o: K8sObject) =>
  o.kind !== 'CustomResourceDefinition' &&
  !(o.kind === 'ConfigMap' && /^values(-.+)?$/.test(o.metadata.name));

for (const patch of GOLDEN_PATCHES) {
  describe(`conformance: manifest generate against istioctl ${patch} (committed goldens), whole objects`, () => {
    const dir = join(GOLDENS, patch);
    const inputs = corpusFor(minorOf(patch));
    const golden = (f: string): ManifestGolden =>
      JSON.parse(
        readFileSync(join(dir, 'manifest', f.replace(/\.yaml$/, '.json')), 'utf8'),
      ) as ManifestGolden;
    const render = (f: string) =>
      renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [`tag=${patch}`]);
    const shares: string[] = [];

    after(() => {
      if (shares.length)
        process.stdout.write(`\n  equal fields per input (${patch}):\n${shares.join('\n')}\n\n`);
    });

    it('has a golden for every corpus input of the line, and none for another (scripts/conformance-goldens.ts)', () => {
      const missing = inputs.filter(
        (f) => !existsSync(join(dir, 'manifest', f.replace(/\.yaml$/, '.json'))),
      );
      assert.deepEqual(missing, []);
      const stale = readdirSync(join(dir, 'manifest')).filter(
        (g) => !inputs.includes(g.replace(/\.json$/, '.yaml')),
      );
      assert.deepEqual(stale, []);
    });

    for (const f of inputs) {
      const label = f.replace(/\.yaml$/, '');
      it(`renders ${label} like istioctl ${patch}, every field of every object`, () => {
        assertSameManifest(golden(f).objects, render(f).filter(compared), (r) =>
          shares.push(`    ${formatShare(label, r)}`),
        );
      });
    }

    it(`installs the CRDs istioctl ${patch} installs, each with the same spec`, () => {
      const theirs = JSON.parse(readFileSync(join(dir, 'crds.json'), 'utf8')) as CrdDigests;
      const ours: CrdDigests = {};
      for (const o of render('profile-default.yaml'))
        if (o.kind === 'CustomResourceDefinition') ours[o.metadata.name] = crdDigest(o);
      assert.ok(Object.keys(theirs).length >= 14, 'the golden lists the CRDs');
      assert.deepEqual(ours, theirs);
    });

    it(`writes the mesh ConfigMaps' text byte for byte as istioctl ${patch}, on every input`, () => {
      let count = 0;
      const differing: string[] = [];
      for (const f of inputs) {
        const d = meshTextDifferences(f, golden(f).objects, render(f));
        count += d.compared;
        differing.push(...d.differing);
      }
      assert.ok(count >= inputs.length, `compared ${count} texts`);
      assert.deepEqual(differing, []);
    });
  });
}

// Istio's own test inputs, through the same goldens' istioctl (istio-inputs.ts).
for (const patch of GOLDEN_PATCHES)
  describeIstioInputGoldens(
    { patch, minor: minorOf(patch), dir: istioInputGoldens(patch) },
    compared,
  );
