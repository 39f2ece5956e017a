import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest } from '../../src/render/diff.js';
import type { K8sObject } from '../../src/render/object.js';
import {
  assertSameManifest,
  formatShare,
  meshTextDifferences,
  staleAllowances,
} from './compare.js';
import { istioctl, ISTIOCTL_BUILD_TIMEOUT_MS, mapLimit, run } from './istioctl.js';
import { renderOurs, TAG_FLAG } from './ours.js';
import { corpusFor } from '../../scripts/conformance-goldens.js';

const CORPUS = join(import.meta.dirname, 'corpus');
// The inputs for 1.27 (those written for newer lines' values are compared through goldens).
const inputs = corpusFor('1.27');

describe('conformance: manifest generate against istioctl 1.27, whole objects', function () {
  const oracle = new Map<string, K8sObject[]>();
  const shares: string[] = [];

  before(async function () {
    this.timeout(ISTIOCTL_BUILD_TIMEOUT_MS);
    const bin = await istioctl();
    // One istioctl run per input, two at a time, all before the comparisons.
    await mapLimit(inputs, 2, async (f) => {
      const r = await run(bin, ['manifest', 'generate', '-f', join(CORPUS, f), '--set', TAG_FLAG]);
      if (r.code !== 0) throw new Error(`istioctl manifest generate -f ${f} failed:\n${r.stderr}`);
      oracle.set(f, parseManifest(r.stdout, `istioctl:${f}`));
    });
  });

  after(() => {
    // The fidelity figures docs/rendering.md quotes: one line per input.
    if (shares.length)
      process.stdout.write(`\n  equal fields per input:\n${shares.join('\n')}\n\n`);
  });

  it(`has a corpus of at least 25 inputs (has ${inputs.length})`, () => {
    assert.ok(inputs.length >= 25);
  });

  for (const f of inputs) {
    const label = f.replace(/\.yaml$/, '');
    it(`renders ${label} like istioctl, every field of every object`, () => {
      const ours = renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [TAG_FLAG]);
      assertSameManifest(oracle.get(f)!, ours, (r) => shares.push(`    ${formatShare(label, r)}`));
    });
  }

  it("writes the mesh ConfigMaps' text byte for byte as istioctl, on every input (a take-over rewrites nothing)", () => {
    let compared = 0;
    const differing: string[] = [];
    for (const f of inputs) {
      const ours = renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [TAG_FLAG]);
      const d = meshTextDifferences(f, oracle.get(f)!, ours);
      compared += d.compared;
      differing.push(...d.differing);
    }
    assert.ok(compared >= inputs.length, `compared ${compared} texts`);
    assert.deepEqual(differing, []);
  });

  it('uses every manifest allow-list entry (none is stale)', () => {
    assert.deepEqual(staleAllowances('manifest'), []);
  });
});
