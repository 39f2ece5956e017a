import assert from 'node:assert/strict';
import { EMBEDDED_PROFILES } from '../../../src/profiles/embedded.js';
import { PROFILE_NAMES } from '../../../src/profiles/names.js';
import { profileFiles } from '../../../src/profiles/write-embedded.js';

describe('embedded profiles', () => {
  it('match manifests/profiles/*.yaml byte for byte (run src/profiles/write-embedded.ts after editing)', () => {
    const onDisk = Object.fromEntries(profileFiles().map((f) => [f.name, f.content]));
    assert.deepEqual({ ...EMBEDDED_PROFILES }, onDisk);
  });

  it('ship exactly the ten built-in profiles', () => {
    assert.deepEqual(Object.keys(EMBEDDED_PROFILES).sort(), [...PROFILE_NAMES].sort());
  });
});
