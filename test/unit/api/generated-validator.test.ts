import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GENERATED_VALIDATOR, validatorSource } from '../../../scripts/write-validator.js';

describe('generated validator', () => {
  it('is exactly what compiling the current schema gives (run `npx tsx scripts/write-validator.ts` after schema changes)', function () {
    this.timeout(20_000);
    assert.ok(
      readFileSync(GENERATED_VALIDATOR, 'utf8') === validatorSource(),
      'src/api/generated/validator.ts is stale',
    );
  });
});
