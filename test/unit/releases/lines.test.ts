import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RELEASES, DEFAULT_RELEASE } from '../../../src/releases/catalog.js';
import { CHANGES } from '../../../src/releases/changes.js';
import {
  binaryVersion,
  istioctlFor,
  pilotDiscoveryFor,
  TOOLS_DIR,
} from '../../../src/cluster/binaries.js';
import { EMBEDDED_VALUES } from '../../../src/translate/embedded-values.js';
import { minorOfTag } from '../../../src/api/release.js';
import { ROOT } from '../../support/cli.js';

const GOLDENS = join(ROOT, 'test', 'conformance', 'goldens');
const LINES_DIR = join(ROOT, 'src', 'releases', 'lines');

/**
 * Adding an Istio line means one module in src/releases/lines/ plus the
 * data around it; this names what a line of the catalog still lacks.
 */
describe('releases: every line of the catalog has everything it needs', () => {
  it('has one module per line in src/releases/lines/, and nothing else there', () => {
    assert.deepEqual(
      readdirSync(LINES_DIR).sort(),
      RELEASES.map((r) => `istio-${r.minor}.ts`),
    );
  });

  it('defaults to the newest line, and every line installs a patch of itself', () => {
    assert.equal(DEFAULT_RELEASE, RELEASES[RELEASES.length - 1]);
    for (const r of RELEASES) assert.equal(minorOfTag(r.patch), r.minor, r.patch);
  });

  for (const r of RELEASES) {
    describe(`Istio ${r.minor}`, () => {
      it('pins istio.io/api of its own line for its CRDs (tools/istio-api)', () => {
        const gomod = join(TOOLS_DIR, 'istio-api', r.minor, 'go.mod');
        assert.ok(existsSync(gomod), `${gomod} is missing`);
        const m = /^require istio\.io\/api v(\d+\.\d+)\.\d+/m.exec(readFileSync(gomod, 'utf8'));
        assert.equal(m?.[1], r.minor, `${gomod} pins another line`);
        assert.ok(existsSync(join(TOOLS_DIR, 'istio-api', r.minor, 'go.sum')));
      });

      it('has its default values (manifests/values: defaults.yaml for the base line, else release-<minor>.yaml)', () => {
        const file = r === RELEASES[0] ? 'defaults.yaml' : `release-${r.minor}.yaml`;
        assert.ok(EMBEDDED_VALUES[file] !== undefined, `manifests/values/${file} is not embedded`);
      });

      it('has an oracle: a module-built istioctl of its line, or committed goldens of one of its patches', async () => {
        const live = istioctlFor(r.minor);
        const goldens = existsSync(GOLDENS)
          ? readdirSync(GOLDENS).filter((p) => minorOfTag(p) === r.minor)
          : [];
        assert.ok(live || goldens.length, `no istioctl-${r.minor} and no goldens of ${r.minor}`);
        if (live) assert.equal(minorOfTag(await binaryVersion(live)), r.minor);
      });

      it('has a real istiod where its pilot-discovery builds, of its own line', async () => {
        const pd = pilotDiscoveryFor(r.minor);
        // 1.28 and 1.29: the Go module proxy serves no istio.io/istio of those lines.
        if (['1.28', '1.29'].includes(r.minor)) return assert.equal(pd, undefined);
        assert.ok(pd, `no pilot-discovery for ${r.minor}`);
        assert.equal(minorOfTag(await binaryVersion(pd)), r.minor);
      });

      it('ships a compatibility profile for each of the previous lines it names, and none for itself', () => {
        assert.ok(r.compatibilityVersions.length > 0);
        assert.ok(!r.compatibilityVersions.includes(r.minor));
        for (const v of r.compatibilityVersions) assert.match(v, /^1\.\d+$/);
      });
    });
  }

  it('dates every change by a line of the catalog', () => {
    const minors = new Set(RELEASES.map((r) => r.minor));
    for (const [name, since] of Object.entries(CHANGES)) {
      const ranges = Array.isArray(since) ? since : [since];
      for (const range of ranges as (string | { from: string; until: string })[]) {
        const ends = typeof range === 'string' ? [range] : [range.from, range.until];
        for (const e of ends) assert.ok(minors.has(e as never), `${name}: ${e}`);
      }
    }
  });
});
