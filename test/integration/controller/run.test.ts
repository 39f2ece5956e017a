import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../../../src/api/types.js';
import { probe, waitFor } from '../../../src/cluster/health.js';
import { freePorts } from '../../../src/cluster/ports.js';
import { KubeClient } from '../../../src/kube/client.js';
import { useCluster } from '../../support/cluster.js';
import { runCli, spawnCli } from '../../support/cli.js';
import { installIstioOperatorCrd } from '../../support/crd.js';

describe('istio-operator run (as a process)', function () {
  let kubeconfig: string;
  let client: KubeClient;
  let ns: string;
  let op: ChildProcess | undefined;
  let output = '';

  before(async function () {
    this.timeout(30 * 60_000);
    const cp = await useCluster();
    kubeconfig = cp.kubeconfig;
    client = new KubeClient(cp.kubeConfig());
    await installIstioOperatorCrd(cp.kubeConfig());
    ns = `run-${randomBytes(3).toString('hex')}`;
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  after(async () => {
    if (op && op.exitCode === null) op.kill('SIGKILL');
    await client
      .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      .catch(() => undefined);
  });

  it('serves health and metrics, installs an IstioOperator, and exits 0 on SIGTERM', async () => {
    const [health, metrics] = await freePorts(2);
    op = spawnCli([
      '--log-format',
      'json',
      'run',
      '--kubeconfig',
      kubeconfig,
      '--watch-namespaces',
      ns,
      '--health-addr',
      `127.0.0.1:${health}`,
      '--metrics-addr',
      `127.0.0.1:${metrics}`,
    ]);
    op.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    op.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => op!.on('exit', (code) => r(code)));
    const alive = () => (op!.exitCode !== null ? `operator exited:\n${output}` : undefined);

    assert.equal(
      (await probe(`http://127.0.0.1:${health}/healthz`)).status,
      0,
      'not listening before start',
    );
    await waitFor(
      'readyz',
      async () => (await probe(`http://127.0.0.1:${health}/readyz`)).status === 200,
      60_000,
      alive,
      200,
    );
    assert.equal((await probe(`http://127.0.0.1:${health}/healthz`)).body, 'ok\n');

    await client.apply({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'minimal', namespace: ns },
      spec: { profile: 'minimal', namespace: ns },
    });
    await waitFor(
      'HEALTHY',
      async () => {
        const iop = (await client.get({
          apiVersion: 'install.istio.io/v1alpha1',
          kind: 'IstioOperator',
          metadata: { name: 'minimal', namespace: ns },
        })) as unknown as IstioOperator;
        return iop.status?.status === 'HEALTHY';
      },
      60_000,
      alive,
      200,
    );
    const m = await probe(`http://127.0.0.1:${metrics}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.body, /istio_operator_reconcile_total\{result="done"\} \d+/);
    assert.match(m.body, /istio_operator_objects_applied_total\{component="Pilot"\} \d+/);
    assert.match(m.body, /istio_operator_api_requests\{verb="apply",code="200"\} \d+/);
    assert.match(m.body, /istio_operator_workqueue_depth \d+/);
    for (const line of output.split('\n').filter((l) => l.startsWith('{'))) JSON.parse(line); // --log-format json

    // Leave the cluster as we found it: uninstall through the operator before stopping it.
    await client.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'minimal', namespace: ns },
    });
    await waitFor(
      'uninstalled',
      async () =>
        (
          await client.list(
            {
              apiVersion: 'install.istio.io/v1alpha1',
              kind: 'IstioOperator',
              plural: 'istiooperators',
              namespaced: true,
            },
            ns,
          )
        ).length === 0,
      30_000,
      alive,
      200,
    );

    op.kill('SIGTERM');
    assert.equal(await exited, 0, output);
    assert.match(output, /"message":"stopped"/);
  });

  it('names the contexts it knows when --context is wrong', async () => {
    const r = await runCli(['run', '--kubeconfig', kubeconfig, '--context', 'nope']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /--context: no context "nope" in the kubeconfig \(it has: istio-operator-local\)/,
    );
  });
});
