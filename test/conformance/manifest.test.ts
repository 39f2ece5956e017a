import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryVersion, istioctlFor } from '../../src/cluster/binaries.js';
import { parseManifest } from '../../src/yaml/manifest.js';
import type { K8sObject } from '../../src/render/object.js';
import {
  assertSameManifest,
  formatShare,
  meshTextDifferences,
  staleAllowances,
} from './compare.js';
import { istioctl, ISTIOCTL_BUILD_TIMEOUT_MS, LIVE_LINES, mapLimit, run } from './istioctl.js';
import { describeIstioInputs } from './istio-inputs.js';
import { liveTag, renderOurs } from './ours.js';
import { corpusFor, crdDigest, type CrdDigests } from '../../scripts/conformance-goldens.js';

const CORPUS = join(import.meta.dirname, 'corpus');

/** Name → digest of the CRDs among a render's objects. */
function crdDigests(objects: K8sObject[]): CrdDigests {
  const out: CrdDigests = {};
  for (const o of objects)
    if (o.kind === 'CustomResourceDefinition') out[o.metadata.name] = crdDigest(o);
  return out;
}

for (const minor of LIVE_LINES) {
  // The inputs of the line (those written for a newer line's values are left out).
  const inputs = corpusFor(minor);
  const tag = liveTag(minor);
  const tagFlag = `tag=${tag}`;

  describe(`conformance: manifest generate against istioctl ${minor} (live, tag ${tag ?? '?'}), whole objects`, function () {
    const oracle = new Map<string, K8sObject[]>();
    const shares: string[] = [];
    let version = '';

    before(async function () {
      this.timeout(ISTIOCTL_BUILD_TIMEOUT_MS);
      if (tag === undefined)
        throw new Error(`src/releases/catalog.ts carries no ${minor} line to compare`);
      const bin = await istioctl(minor);
      version = await binaryVersion(istioctlFor(minor)!);
      // One istioctl run per input, two at a time, all before the comparisons.
      await mapLimit(inputs, 2, async (f) => {
        const r = await run(bin, ['manifest', 'generate', '-f', join(CORPUS, f), '--set', tagFlag]);
        if (r.code !== 0)
          throw new Error(`istioctl ${version} manifest generate -f ${f} failed:\n${r.stderr}`);
        oracle.set(f, parseManifest(r.stdout, `istioctl ${version}:${f}`));
      });
    });

    after(() => {
      // The fidelity figures docs/rendering.md quotes: one line per input.
      if (shares.length)
        process.stdout.write(
          `\n  equal fields per input (istioctl ${version}, tag ${tag}):\n${shares.join('\n')}\n\n`,
        );
    });

    it(`has a corpus of at least 25 inputs (has ${inputs.length})`, () => {
      assert.ok(inputs.length >= 25);
    });

    for (const f of inputs) {
      const label = f.replace(/\.yaml$/, '');
      it(`renders ${label} like istioctl ${minor}, every field of every object`, () => {
        const ours = renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [tagFlag]);
        assertSameManifest(oracle.get(f)!, ours, (r) =>
          shares.push(`    ${formatShare(label, r)}`),
        );
      });
    }

    // Also part of the whole-object comparison above; on its own so that a
    // CRD difference reads as one (and as the goldens' crds.json check does).
    it(`installs the CRDs istioctl ${minor} installs, each with the same spec and annotations`, () => {
      const f = 'profile-default.yaml';
      const theirs = crdDigests(oracle.get(f)!);
      const ours = crdDigests(renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [tagFlag]));
      assert.ok(Object.keys(theirs).length >= 14, `istioctl renders the CRDs (${f})`);
      assert.deepEqual(ours, theirs);
    });

    it(`writes the mesh ConfigMaps' text byte for byte as istioctl ${minor}, on every input (a take-over rewrites nothing)`, () => {
      let compared = 0;
      const differing: string[] = [];
      for (const f of inputs) {
        const ours = renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [tagFlag]);
        const d = meshTextDifferences(f, oracle.get(f)!, ours);
        compared += d.compared;
        differing.push(...d.differing);
      }
      assert.ok(compared >= inputs.length, `compared ${compared} texts`);
      assert.deepEqual(differing, []);
    });
  });

  // In this file, so that the allow-list's staleness check below sees them too.
  if (tag !== undefined) describeIstioInputs(minor, tag, () => istioctl(minor));
}

describe('conformance: the manifest allow-list', () => {
  // After every line's suite (live here, and the goldens' when they ran in
  // the same process): an entry may serve some lines only.
  it('uses every manifest allow-list entry (none is stale)', () => {
    assert.deepEqual(staleAllowances('manifest'), []);
  });
});
