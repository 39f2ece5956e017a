import { ISTIO_VERSION } from '../../../src/version.js';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { useCluster } from '../../support/cluster.js';
import { runCli } from '../../support/cli.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

describe('istio-operator status (against the real control plane)', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let ns: string;
  let kubeconfig: string;

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    kubeconfig = (await useCluster()).kubeconfig;
    ns = await env.namespace('status');
    manager = await env.startOperator([ns]);
    await env.client.apply({ ...iopRef(ns, 'cp'), spec: { profile: 'minimal', namespace: ns } });
    await waitFor(
      'HEALTHY',
      async () => (await env.getIop(ns, 'cp')).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
  });

  after(async () => {
    await env.client.delete(iopRef(ns, 'cp'));
    await env.uninstalled(ns, 'cp', 30_000);
    await manager.stop();
  });

  it('shows the IstioOperator HEALTHY and Ready with its components and object counts', async () => {
    const r = await runCli(['status', '--kubeconfig', kubeconfig, '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^${ns}/cp\\s+HEALTHY\\s+True\\s+default\\s+minimal\\s+${ISTIO_VERSION.replaceAll('.', '\\.')}$`,
        'm',
      ),
    );
    assert.match(r.stdout, /^ {2}Pilot\s+HEALTHY\s+\d+ objects$/m);
  });

  it('prints JSON with -o json, and needs -n to name one', async () => {
    const r = await runCli(['status', '--kubeconfig', kubeconfig, '-n', ns, 'cp', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as {
      name: string;
      components: { name: string; objects: number }[];
    }[];
    assert.equal(rows.length, 1);
    assert.ok(rows[0]!.components.find((c) => c.name === 'Pilot')!.objects > 5);
    const bad = await runCli(['status', '--kubeconfig', kubeconfig, 'cp']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /add -n NAMESPACE/);
  });

  it('--fail-unhealthy exits 1 while an IstioOperator is in ERROR, naming it (0 without the flag, 0 once healthy)', async () => {
    const bad = iopRef(ns, 'bad');
    // Accepted by the API server (values is open there) but refused by the operator's validator.
    await env.client.apply({
      ...bad,
      spec: {
        profile: 'minimal',
        namespace: ns,
        values: { global: { proxy: { includeIPRanges: 'not-a-cidr' } } },
      },
    });
    try {
      await waitFor(
        'ERROR',
        async () => (await env.getIop(ns, 'bad')).status?.status === 'ERROR',
        30_000,
        undefined,
        200,
      );
      const plain = await runCli(['status', '--kubeconfig', kubeconfig, '-n', ns]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stdout, new RegExp(`^${ns}/bad\\s+ERROR`, 'm'));
      const strict = await runCli([
        'status',
        '--kubeconfig',
        kubeconfig,
        '-n',
        ns,
        '--fail-unhealthy',
      ]);
      assert.equal(strict.code, 1, strict.stderr);
      assert.match(
        strict.stderr,
        new RegExp(`1 of 2 IstioOperator\\(s\\) not healthy: ${ns}/bad$`, 'm'),
      );
      assert.match(
        strict.stdout,
        new RegExp(`^${ns}/cp\\s+HEALTHY`, 'm'),
        'the table is still printed',
      );
      const one = await runCli([
        'status',
        '--kubeconfig',
        kubeconfig,
        '-n',
        ns,
        'cp',
        '--fail-unhealthy',
      ]);
      assert.equal(one.code, 0, one.stderr);
    } finally {
      await env.client.delete(bad);
      await env.uninstalled(ns, 'bad', 30_000);
    }
  });
});
