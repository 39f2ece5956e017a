import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';
import { runInProcess } from './in-process.js';

describe('CLI errors a new user meets first', function () {
  this.timeout(30_000);
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'no-kubeconfig-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('answers an unknown --log-level with a usage error listing the levels, not an internal error', async () => {
    for (const args of [
      ['--log-level', 'verbose', 'version'],
      ['--log-level=verbose', 'status'],
      ['--log-format', 'xml', 'version'],
    ]) {
      const r = await runInProcess(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, args.join(' '));
      assert.match(
        r.stderr,
        /error: option '--log-(level <level>' argument 'verbose' is invalid\. "verbose" is not a log level \(use error, warn, info, debug\)|format <format>' argument 'xml' is invalid\. "xml" is not a log format \(use json or text\))/,
      );
    }
  });

  // Without a kubeconfig, client-node fell back to http://localhost:8080: `status`
  // failed with "HTTP protocol is not allowed when skipTLSVerify is not set" and
  // `run` retried for ever.
  for (const command of [
    ['run', '--health-addr', '', '--metrics-addr', ''],
    ['status'],
    ['init'],
  ]) {
    it(`${command[0]}: without a kubeconfig, exits 1 naming --kubeconfig, KUBECONFIG and in-cluster`, async () => {
      const r = await runCli(command, {
        env: { KUBECONFIG: '', HOME: home, KUBERNETES_SERVICE_HOST: '' },
        timeoutMs: 20_000,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /error: no kubeconfig found: KUBECONFIG is not set, .*\.kube\/config does not exist, and this is not a pod \(no in-cluster service account\)\. Pass --kubeconfig PATH or set KUBECONFIG/,
      );
      assert.doesNotMatch(r.stderr, /HTTP protocol|internal error/);
    });
  }

  it('init -f: an operator of every revision takes any revision; one of a single revision refuses the others, naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'init-f-'));
    try {
      const file = join(dir, 'iop.yaml');
      writeFileSync(
        file,
        'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n' +
          'metadata: {name: c, namespace: istio-system}\nspec: {profile: minimal, revision: canary}\n',
      );
      const every = await runInProcess(['init', '--dry-run', '-f', file]);
      assert.equal(every.code, 0, every.stderr);
      assert.match(every.stdout, /kind: IstioOperator/);
      const own = await runInProcess(['init', '--dry-run', '-f', file, '--revision', 'canary']);
      assert.equal(own.code, 0, own.stderr);
      const other = await runInProcess(['init', '--dry-run', '-f', file, '--revision', 'default']);
      assert.equal(other.code, 1);
      assert.match(
        other.stderr,
        /-f: IstioOperator istio-system\/c has spec\.revision "canary", but this operator reconciles IstioOperators without a revision only: pass --revision canary, or leave --revision out for an operator of every revision/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo --kubeconfig with a missing file: exit 1 naming the file and the fix, no stack trace', async () => {
    const r = await runCli(['demo', '--kubeconfig', join(home, 'missing-kubeconfig')], {
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /error: --kubeconfig .*missing-kubeconfig: cannot read the kubeconfig \(no such file\): pass --kubeconfig PATH or set KUBECONFIG to an existing file/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
