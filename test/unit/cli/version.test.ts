import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISTIO_VERSION, OPERATOR_VERSION } from '../../../src/version.js';
import { ROOT, runCli } from '../../support/cli.js';

describe('istio-operator version', () => {
  it('keeps the operator version in step with package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(OPERATOR_VERSION, pkg.version);
  });

  it('pins an Istio 1.27 patch release', () => {
    assert.match(ISTIO_VERSION, /^1\.27\.\d+$/);
  });

  it('prints the operator and Istio versions', async () => {
    const r = await runCli(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `istio-operator ${OPERATOR_VERSION}\nistio ${ISTIO_VERSION}\n`);
  });

  it('prints JSON with -o json', async () => {
    const r = await runCli(['version', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      operatorVersion: OPERATOR_VERSION,
      istioVersion: ISTIO_VERSION,
    });
  });

  it('rejects an unknown output format with exit 1 and names the choices', async () => {
    const r = await runCli(['version', '-o', 'xml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /text, json/);
  });
});
