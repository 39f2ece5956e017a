import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '../../../src/cluster/health.js';
import { useCluster } from '../../support/cluster.js';
import { spawnOperator } from '../../support/cli.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const OWNER = 'install.operator.istio.io/owning-resource';
const LEASE = 'operator-kill-test';

describe('faults: the leader killed during a reconcile', function () {
  let env: OperatorEnv;
  let kubeconfig: string;
  let ns: string;
  const children: ChildProcess[] = [];

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    kubeconfig = (await useCluster()).kubeconfig;
    ns = await env.namespace('leader-kill');
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** `istio-operator run --leader-elect` as its own process, as each replica runs it. */
  const replica = () => {
    const c = spawnOperator([
      '--kubeconfig',
      kubeconfig,
      '--watch-namespaces',
      ns,
      '--leader-elect',
      '--leader-election-namespace',
      ns,
      '--leader-election-id',
      LEASE,
    ]);
    children.push(c);
    return c;
  };
  const lease = async () =>
    (await env.client
      .get({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: LEASE, namespace: ns },
      })
      .catch(() => undefined)) as k8s.V1Lease | undefined;

  it('the standby takes over after the lease expires and finishes the work', async function () {
    this.timeout(180_000);
    const first = replica();
    await waitFor('a leader', async () => !!(await lease())?.spec?.holderIdentity, 60_000);
    const leaderIdentity = (await lease())!.spec!.holderIdentity!;
    const second = replica();
    // Let the second replica come up (caches synced, waiting for the Lease).
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal((await lease())?.spec?.holderIdentity, leaderIdentity, 'the first still leads');

    await env.client.apply({
      ...iopRef(ns, 'control-plane'),
      spec: { profile: 'default', namespace: ns },
    });
    // Kill the leader as soon as its reconcile has written something, mid-apply.
    await waitFor(
      'the leader started applying',
      async () => {
        const sa = await env.client
          .get({
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: 'istiod', namespace: ns },
          })
          .catch(() => undefined);
        return sa?.metadata?.labels?.[OWNER] === 'control-plane';
      },
      60_000,
      undefined,
      20,
    );
    first.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = await env.getIop(ns, 'control-plane');
    assert.notEqual(atKill.status?.status, 'HEALTHY', 'killed before the work was done');

    await waitFor(
      'converged by the standby',
      async () => {
        const iop = await env.getIop(ns, 'control-plane');
        return (
          iop.status?.status === 'HEALTHY' &&
          iop.status.observedGeneration === iop.metadata.generation
        );
      },
      120_000,
      undefined,
      200,
    );
    const tookOver = (await lease())?.spec?.holderIdentity;
    assert.ok(tookOver && tookOver !== leaderIdentity, `the standby leads (${tookOver})`);
    assert.equal(second.exitCode, null, 'the standby is still running');
    for (const name of ['istiod', 'istio-ingressgateway'])
      assert.equal(await env.exists(deploymentRef(ns, name)), true, name);
    console.log(`      converged ${Math.round((Date.now() - killedAt) / 1000)} s after the kill`);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  });
});
