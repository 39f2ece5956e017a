import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { builtinProfile } from '../../../src/profiles/builtin.js';
import { EMBEDDED_PROFILE_TREES, EMBEDDED_PROFILES } from '../../../src/profiles/embedded.js';
import { PROFILE_NAMES } from '../../../src/profiles/names.js';
import { profileFiles } from '../../../scripts/write-embedded-profiles.js';

describe('embedded profiles', () => {
  it('match manifests/profiles/*.yaml byte for byte (run scripts/write-embedded-profiles.ts after editing)', () => {
    const onDisk = Object.fromEntries(profileFiles().map((f) => [f.name, f.content]));
    assert.deepEqual({ ...EMBEDDED_PROFILES }, onDisk);
  });

  it('hold each profile parsed, the same tree as its YAML text', () => {
    assert.deepEqual(Object.keys(EMBEDDED_PROFILE_TREES), Object.keys(EMBEDDED_PROFILES));
    for (const [name, text] of Object.entries(EMBEDDED_PROFILES)) {
      assert.deepEqual(JSON.parse(EMBEDDED_PROFILE_TREES[name]!), yaml.load(text), name);
    }
  });

  it('hand out fresh trees, so one caller cannot change the next', () => {
    const a = builtinProfile('demo');
    (a.spec as Record<string, unknown>).profile = 'changed';
    assert.notEqual((builtinProfile('demo').spec as Record<string, unknown>).profile, 'changed');
  });

  it('ship exactly the ten built-in profiles', () => {
    assert.deepEqual(Object.keys(EMBEDDED_PROFILES).sort(), [...PROFILE_NAMES].sort());
  });
});
