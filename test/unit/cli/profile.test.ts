import yaml from 'js-yaml';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILE_NAMES } from '../../../src/profiles/names.js';
import { ISTIO_VERSION } from '../../../src/version.js';
import { runCli } from '../../support/cli.js';
import { runInProcess } from './in-process.js';

type Obj = Record<string, unknown>;

describe('istio-operator profile', function () {
  this.timeout(30_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iop-profile-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the ten built-in profiles', async () => {
    const r = await runInProcess(['profile', 'list']);
    assert.equal(r.code, 0, r.stderr);
    for (const p of PROFILE_NAMES) assert.match(r.stdout, new RegExp(`^    ${p} +\\S`, 'm'));
    const j = await runInProcess(['profile', 'list', '-o', 'json']);
    const parsed = JSON.parse(j.stdout) as { profiles: { name: string }[] };
    assert.deepEqual(
      parsed.profiles.map((p) => p.name),
      [...PROFILE_NAMES],
    );
  });

  it('dumps a merged profile as YAML with hub and tag from the build', async () => {
    const r = await runInProcess(['profile', 'dump', 'demo']);
    assert.equal(r.code, 0, r.stderr);
    const iop = yaml.load(r.stdout) as { kind: string; spec: Obj & { components: Obj } };
    assert.equal(iop.kind, 'IstioOperator');
    assert.equal(iop.spec.profile, 'demo');
    assert.equal(iop.spec.tag, ISTIO_VERSION);
    assert.deepEqual(iop.spec.components.egressGateways, [
      { name: 'istio-egressgateway', enabled: true },
    ]);
  });

  it('merges files and --set flags, honours -r and prints a sub-tree with --config-path', async () => {
    const file = join(dir, 'iop.yaml');
    await writeFile(
      file,
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: minimal\n  components:\n    pilot:\n      k8s:\n        replicaCount: 2\n',
    );
    const r = await runInProcess([
      'profile',
      'dump',
      '-f',
      file,
      '--set',
      'values.pilot.autoscaleEnabled=false',
      '-r',
      'canary',
      '--config-path',
      'components.pilot',
      '-o',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { enabled: true, k8s: { replicaCount: 2 } });
    const whole = await runInProcess(['profile', 'dump', '-f', file, '-r', 'canary', '-o', 'json']);
    assert.equal((JSON.parse(whole.stdout) as { spec: Obj }).spec.revision, 'canary');
    const dflt = await runInProcess(['profile', 'dump', '-r', 'default', '-o', 'json']);
    assert.equal((JSON.parse(dflt.stdout) as { spec: Obj }).spec.revision, undefined);
  });

  it('prints warnings on stderr and still exits 0', async () => {
    const r = await runInProcess([
      'profile',
      'dump',
      '--set',
      'values.global.proxy.accessLogFile=/dev/stdout',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^warning: spec\.values\.global\.proxy\.accessLogFile: deprecated since Istio 1\.24; moved to spec\.meshConfig\.accessLogFile/m,
    );
    assert.match(r.stdout, /accessLogFile: \/dev\/stdout/);
  });

  it('fails with a clear message, exit status 1 and no stack for an unknown profile (real process)', async () => {
    const r = await runCli(['profile', 'dump', 'prod']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /spec\.profile: unknown profile \(value "prod"\); fix: use one of: default, demo/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('rejects --manifests: this operator renders components itself', async () => {
    const r = await runInProcess(['profile', 'dump', '-d', '/tmp/manifests']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /spec\.installPackagePath: not supported: this operator renders components itself/,
    );
  });

  it('fails for a --config-path that does not exist and for a missing file', async () => {
    const a = await runInProcess(['profile', 'dump', '--config-path', 'components.nothing']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /--config-path components\.nothing: no such path/);
    const b = await runInProcess(['profile', 'dump', '-f', join(dir, 'missing.yaml')]);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /cannot read .*missing\.yaml: ENOENT/);
  });

  it('diffs two profiles', async () => {
    const r = await runInProcess(['profile', 'diff', 'default', 'minimal']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^--- default/m);
    assert.match(r.stdout, /^\+\+\+ minimal/m);
    assert.match(r.stdout, /^- {8}enabled: true$/m);
    assert.match(r.stdout, /^\+ {8}enabled: false$/m);
    assert.match(r.stdout, /^\+ {2}profile: minimal$/m);
    const same = await runInProcess(['profile', 'diff', 'demo', 'demo']);
    assert.equal(same.stdout, 'The profiles demo and demo are identical.\n');
  });

  it('shows examples in --help', async () => {
    for (const cmd of [
      ['profile', 'list'],
      ['profile', 'dump'],
      ['profile', 'diff'],
    ]) {
      const r = await runInProcess([...cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Examples:\n {2}istio-operator profile/);
    }
  });
});
