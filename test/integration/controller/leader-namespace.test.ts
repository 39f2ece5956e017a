import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../src/cluster/health.js';
import { useCluster } from '../../support/cluster.js';
import { spawnCli } from '../../support/cli.js';
import { installIstioOperatorCrd } from '../../support/crd.js';

describe('run --leader-elect without the Lease namespace', function () {
  it('says once what to do (create the namespace or pass --leader-election-namespace), not every 2 s', async function () {
    this.timeout(60_000);
    const cp = await useCluster();
    await installIstioOperatorCrd(cp.kubeConfig());
    const missing = `no-such-ns-${randomBytes(3).toString('hex')}`;
    const p = spawnCli([
      '--log-format',
      'text',
      'run',
      '--kubeconfig',
      cp.kubeconfig,
      '--leader-elect',
      '--leader-election-namespace',
      missing,
      '--watch-namespaces',
      missing,
      '--health-addr',
      '',
      '--metrics-addr',
      '',
    ]);
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(
        'waiting for leadership',
        async () => out.includes('waiting for leadership'),
        30_000,
        () => (p.exitCode !== null ? `exited:\n${out}` : undefined),
        100,
      );
      // Three retry periods (2 s each, +20% jitter): before the fix, three warnings.
      await new Promise((r) => setTimeout(r, 7500));
      const warnings = out.split('\n').filter((l) => /\bwarn\b/.test(l));
      assert.equal(warnings.length, 1, out);
      assert.match(
        warnings[0]!,
        new RegExp(
          `namespace ${missing} does not exist, so the leader Lease cannot be created and this replica never leads: ` +
            `create it \\(kubectl create namespace ${missing}\\) or pass --leader-election-namespace`,
        ),
      );
    } finally {
      p.kill('SIGKILL');
    }
  });
});
