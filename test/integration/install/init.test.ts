import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { useCluster } from '../../support/cluster.js';
import { runCli } from '../../support/cli.js';
import { iopRef, deploymentRef } from '../../support/operator.js';

describe('istio-operator init / remove on the local control plane', function () {
  let kubeconfig: string;
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  const id = randomBytes(3).toString('hex');
  const opNs = `op-${id}`;
  const watched = `mesh-${id}`;
  const dep = deploymentRef(opNs, 'istio-operator');

  before(async function () {
    this.timeout(30 * 60_000);
    const cp = await useCluster();
    kubeconfig = cp.kubeconfig;
    kc = cp.kubeConfig();
    client = new KubeClient(kc);
  });

  it('installs the operator and waits, with progress, until its Deployment is available', async () => {
    const r = await runCli(
      [
        'init',
        '--kubeconfig',
        kubeconfig,
        '--operator-namespace',
        opNs,
        '--watched-namespaces',
        watched,
        '--wait',
        '--timeout',
        '90s',
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /CRD istiooperators.install.istio.io is Established/);
    assert.match(r.stderr, /the operator is running/);
    const live = (await client.get(dep)) as k8s.V1Deployment;
    assert.equal(live.status?.availableReplicas, 1);
  });

  it('changes nothing when run again', async () => {
    const before = ((await client.get(dep)) as k8s.V1Deployment).metadata?.resourceVersion;
    const r = await runCli([
      'init',
      '--kubeconfig',
      kubeconfig,
      '--operator-namespace',
      opNs,
      '--watched-namespaces',
      watched,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(((await client.get(dep)) as k8s.V1Deployment).metadata?.resourceVersion, before);
  });

  it('warns about IstioOperators outside the watched namespaces, and status says no operator watches them', async () => {
    // The README path before the fix: an operator watching one namespace, an
    // IstioOperator in another — it sat there without status and without a word.
    const other = `gw-${id}`;
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } });
    await client.apply({ ...iopRef(other, 'ingress'), spec: { profile: 'empty' } });
    try {
      const r = await runCli([
        'init',
        '--kubeconfig',
        kubeconfig,
        '--operator-namespace',
        opNs,
        '--watched-namespaces',
        watched,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          // Other test files' IstioOperators in the shared cluster may be named too.
          `warning: \\d+ IstioOperator\\(s\\) in \\d+ namespace\\(s\\) outside the watched ones \\(${watched}\\) will not be reconciled: ` +
            `([^;]+; )*${other} \\(ingress\\)(; [^;]+)*; watch them with --watched-namespaces ${watched},(\\S+,)*${other}[,\\s]`,
        ),
      );
      const st = await runCli([
        'status',
        '--kubeconfig',
        kubeconfig,
        '-n',
        other,
        '--fail-unhealthy',
      ]);
      assert.equal(st.code, 1, st.stdout + st.stderr);
      assert.match(
        st.stdout,
        new RegExp(
          `^${other}/ingress: not reconciled: not watched: operator ${opNs}/istio-operator reconciles IstioOperators in ${watched} only; ` +
            `add ${other} with \`istio-operator init --watched-namespaces ${watched},${other}\``,
          'm',
        ),
      );
      // -f with an IstioOperator the operator would never see is refused up front.
      const file = join(await mkdtemp(join(tmpdir(), 'iop-')), 'gw.yaml');
      await writeFile(
        file,
        `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: gw\n  namespace: ${other}\nspec:\n  profile: empty\n`,
      );
      const f = await runCli(['init', '--dry-run', '--watched-namespaces', watched, '-f', file]);
      assert.equal(f.code, 1);
      assert.match(
        f.stderr,
        new RegExp(
          `-f: IstioOperator ${other}/gw is in namespace ${other}, which the operator will not watch`,
        ),
      );
    } finally {
      await client.delete(iopRef(other, 'ingress'));
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } });
    }
  });

  it("grants the operator's ServiceAccount enough to install and uninstall Istio, and no more than the table says", async () => {
    // A token for the operator's ServiceAccount, as its pod would have.
    const res = await kubeRequest(
      kc,
      'POST',
      `/api/v1/namespaces/${opNs}/serviceaccounts/istio-operator/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    );
    const token = (JSON.parse(res.body) as { status: { token: string } }).status.token;
    const saKc = new k8s.KubeConfig();
    saKc.loadFromOptions({
      clusters: [kc.getCurrentCluster()!],
      users: [{ name: 'operator', token }],
      contexts: [{ name: 'operator', cluster: kc.getCurrentCluster()!.name, user: 'operator' }],
      currentContext: 'operator',
    });
    // The ServiceAccount cannot read Secrets: least privilege is real, not assumed.
    await assert.rejects(
      kubeRequest(saKc, 'GET', `/api/v1/namespaces/${opNs}/secrets`),
      (e: unknown) => e instanceof k8s.ApiException && e.code === 403,
    );

    const manager = new OperatorManager({
      kubeConfig: saKc,
      watchNamespaces: [watched],
      requeueWhileRollingMs: 500,
    });
    await manager.start();
    try {
      await client.apply({
        ...iopRef(watched, 'cp'),
        spec: { profile: 'minimal', namespace: watched },
      });
      await waitFor(
        'HEALTHY as the ServiceAccount',
        async () =>
          ((await client.get(iopRef(watched, 'cp'))) as unknown as IstioOperator).status?.status ===
          'HEALTHY',
        60_000,
        undefined,
        200,
      );
      assert.equal(manager.counts.error, 0, 'no reconcile failed (no RBAC denial)');
      await client.delete(iopRef(watched, 'cp'));
      await waitFor(
        'uninstalled as the ServiceAccount',
        async () =>
          (
            await client.list(
              {
                apiVersion: 'install.istio.io/v1alpha1',
                kind: 'IstioOperator',
                plural: 'istiooperators',
                namespaced: true,
              },
              watched,
            )
          ).length === 0,
        60_000,
        undefined,
        200,
      );
    } finally {
      await manager.stop();
    }
  });

  it('refuses to remove without confirmation when not on a terminal', async () => {
    const r = await runCli(['remove', '--kubeconfig', kubeconfig, '--operator-namespace', opNs]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The Istio installation it manages keeps running/);
    assert.match(r.stderr, /pass -y to confirm/);
  });

  it('removes the operator but keeps the CRD and IstioOperators unless --purge', async () => {
    await client.apply({
      ...iopRef(watched, 'kept'),
      metadata: {
        ...iopRef(watched, 'kept').metadata,
        annotations: { 'install.istio.io/ignoreReconcile': 'true' },
      },
      spec: { profile: 'empty' },
    });
    const r = await runCli([
      'remove',
      '--kubeconfig',
      kubeconfig,
      '--operator-namespace',
      opNs,
      '-y',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Deployment .*istio-operator/);
    await assert.rejects(client.get(dep));
    await client.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'istiooperators.install.istio.io' },
    });
    await client.get(iopRef(watched, 'kept'));
    await client.delete(iopRef(watched, 'kept'));
  });
});
