import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, runCli } from '../../support/cli.js';
import { runInProcess } from './in-process.js';

const valid = (f: string) => join(ROOT, 'test', 'fixtures', 'valid', f);
const invalid = (f: string) => join(ROOT, 'test', 'fixtures', 'invalid', f);

describe('istio-operator validate', function () {
  this.timeout(30_000);

  it('exits 0 for a valid file', async () => {
    const r = await runInProcess(['validate', '-f', valid('istioctl-127-production.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /istioctl-127-production\.yaml: valid\n/);
    assert.equal(r.stderr, '');
  });

  it('prints warnings for 1.23-era files and still exits 0', async () => {
    const r = await runInProcess(['validate', '-f', valid('legacy-123-no-effect.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid \(7 warnings\)/);
    assert.match(
      r.stderr,
      /warning: spec\.values\.global\.jwtPolicy: deprecated since Istio 1\.24 and has no effect/,
    );
  });

  it('exits 1 and prints every error of every file, with path, value and fix (real process)', async () => {
    const r = await runCli([
      'validate',
      '-f',
      valid('ambient-revision.yaml'),
      '-f',
      invalid('removed-component-citadel.yaml'),
      '-f',
      invalid('bad-revision-uppercase.yaml'),
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ambient-revision\.yaml: valid/);
    assert.match(
      r.stderr,
      /removed-component-citadel\.yaml: error: spec\.components\.citadel: unknown component \(removed in Istio 1\.6; its function is part of pilot\); fix: /,
    );
    assert.match(
      r.stderr,
      /bad-revision-uppercase\.yaml: error: spec\.revision: is not a DNS-1123 label .* \(value "Canary"\); fix: use for example "canary"/,
    );
    assert.match(r.stderr, /^error: 2 of 3 files invalid$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('requires -f', async () => {
    const r = await runInProcess(['validate']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /required option '-f, --filename <file>'/);
  });

  it('shows examples in --help', async () => {
    const r = await runInProcess(['validate', '--help']);
    assert.match(r.stdout, /Examples:\n {2}istio-operator validate -f my-iop\.yaml/);
  });
});
