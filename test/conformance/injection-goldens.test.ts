import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GOLDEN_PATCHES, GOLDENS } from '../../scripts/conformance-goldens.js';
import {
  NOT_EXERCISED,
  releaseOfPatch,
  templateDigests,
  type InjectionRecord,
} from '../../scripts/injection-verify.js';
import { injectionTemplates } from '../../src/render/injection/templates.js';
import { casesFor } from './injection-cases.js';

/**
 * The lines without a module-built istioctl (1.28, 1.29) have no live
 * injection suite, so what their injectors made of our templates was
 * recorded by scripts/injection-verify.ts in
 * test/conformance/goldens/<patch>/injection.json. This suite holds the
 * templates to that record: the text of each line's templates is the text
 * that passed, and the record covers every case. The records are frozen:
 * this repository builds no istioctl of those lines, so a change here needs
 * an istioctl of the patch from elsewhere.
 */
const RERUN =
  're-verify with an istioctl of that patch: node --import tsx scripts/injection-verify.ts --istioctl PATH';

for (const patch of GOLDEN_PATCHES) {
  describe(`conformance: injection templates verified with istioctl ${patch} kube-inject (committed record)`, () => {
    const file = join(GOLDENS, patch, 'injection.json');
    const release = releaseOfPatch(patch);
    const record = (): InjectionRecord => JSON.parse(readFileSync(file, 'utf8')) as InjectionRecord;

    it('has a verification record', () => {
      assert.ok(existsSync(file), `${file} is missing: ${RERUN} ${patch}`);
      assert.equal(record().patch, patch);
    });

    it(`renders the ${release.minor} templates whose text passed verification`, () => {
      assert.deepEqual(
        templateDigests(release),
        record().templates,
        `the ${release.minor} injection templates changed since they were verified: ${RERUN} ${patch}`,
      );
    });

    it('the record covers every injection case of the line, each comparing fields', () => {
      const r = record();
      assert.deepEqual(
        r.cases.map((c) => c.name),
        casesFor(release.minor).map((c) => c.name),
        `the cases changed since the last verification: ${RERUN} ${patch}`,
      );
      for (const c of r.cases) assert.ok(c.fields > 0, `${c.name}: no fields were compared`);
    });

    it('names the templates kube-inject cannot exercise', () => {
      assert.deepEqual(
        record().notExercised,
        NOT_EXERCISED.filter((n) => n in injectionTemplates(release)),
      );
    });
  });
}
