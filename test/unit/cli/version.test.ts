import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISTIO_VERSION, OPERATOR_VERSION } from '../../../src/version.js';
import { DEFAULT_RELEASE, RELEASES } from '../../../src/releases/catalog.js';
import { ROOT, runCli } from '../../support/cli.js';

describe('istio-operator version', () => {
  it('keeps the operator version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(OPERATOR_VERSION, pkg.version);
  });

  it('defaults to a release patch from the catalog', () => {
    assert.equal(ISTIO_VERSION, DEFAULT_RELEASE.patch);
    assert.ok(RELEASES.includes(DEFAULT_RELEASE));
  });

  it('prints the operator version, the default Istio version and every release it installs', async () => {
    const r = await runCli(['version']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 3), [
      `istio-operator ${OPERATOR_VERSION}`,
      `istio ${ISTIO_VERSION}`,
      'releases it installs:',
    ]);
    assert.deepEqual(
      lines.slice(3).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
      ['1.27 1.27.9', '1.28 1.28.10', '1.29 1.29.8', '1.30 1.30.8', '1.31 1.31.4'],
    );
    assert.equal(lines.filter((l) => l.includes('(default')).length, 1);
    assert.match(
      lines.find((l) => l.startsWith('  1.31'))!,
      /\(default; supported by Istio until/,
    );
    for (const old of ['1.27', '1.28', '1.29'])
      assert.match(
        lines.find((l) => l.startsWith(`  ${old}`))!,
        /end of life since .*still installs/,
      );
    assert.match(
      lines.find((l) => l.startsWith('  1.30'))!,
      /supported by Istio until six weeks after 1\.32\.0/,
    );
  });

  it('prints JSON with -o json, one entry per release', async () => {
    const r = await runCli(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      operatorVersion: string;
      istioVersion: string;
      releases: {
        version: string;
        patch: string;
        supportedUpstream: boolean;
        supportEnds: string;
        default: boolean;
      }[];
    };
    assert.equal(out.operatorVersion, OPERATOR_VERSION);
    assert.equal(out.istioVersion, ISTIO_VERSION);
    assert.deepEqual(
      out.releases.map((x) => x.version),
      ['1.27', '1.28', '1.29', '1.30', '1.31'],
    );
    assert.deepEqual(
      out.releases.filter((x) => x.supportedUpstream).map((x) => x.version),
      ['1.30', '1.31'],
    );
    assert.deepEqual(
      out.releases.filter((x) => x.default).map((x) => x.patch),
      [ISTIO_VERSION],
    );
  });

  it('rejects an unknown output format with exit 1 and names the choices', async () => {
    const r = await runCli(['version', '-o', 'xml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /text, json/);
  });
});
