import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { useCluster } from '../../support/cluster.js';
import { spawnOperator } from '../../support/cli.js';
import { iopRef, operatorEnv, type OperatorEnv, deploymentRef } from '../../support/operator.js';

/** A deterministic pseudo-random sequence, so a failing trial can be replayed. */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('faults: the operator killed at random points between apply and prune', function () {
  let env: OperatorEnv;
  let kubeconfig: string;
  let ns: string;

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    kubeconfig = (await useCluster()).kubeconfig;
    ns = await env.namespace('kill');
  });

  const startOperator = () => spawnOperator(['--kubeconfig', kubeconfig, '--watch-namespaces', ns]);
  const spec = (gateway: boolean) => ({
    profile: 'minimal',
    namespace: ns,
    components: {
      ingressGateways: [{ name: 'istio-ingressgateway', namespace: ns, enabled: gateway }],
    },
  });

  it('converges after 20 kills, and never deletes what another IstioOperator or nobody owns', async function () {
    this.timeout(600_000);
    const random = lcg(20261121);
    // Objects that must survive: one nobody owns, one another IstioOperator owns
    // (labelled exactly as ours would be, and written by the operator's field manager).
    const unowned = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'users-config', namespace: ns },
      data: { keep: 'me' },
    };
    const others = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'owned-by-other',
        namespace: ns,
        labels: {
          'operator.istio.io/managed': 'Reconcile',
          'operator.istio.io/component': 'Pilot',
          'install.operator.istio.io/owning-resource': 'someone-else',
          'install.operator.istio.io/owning-resource-namespace': ns,
        },
      },
      data: { keep: 'me too' },
    };
    await env.client.apply(unowned);
    await env.client.apply(others);

    let gateway = false;
    let finished = 0;
    const gwRef = deploymentRef(ns, 'istio-ingressgateway');
    for (let trial = 0; trial < 20; trial++) {
      gateway = !gateway; // every trial either adds the gateway or prunes it
      await env.client.apply({ ...iopRef(ns, 'cp'), spec: spec(gateway) });
      const op = startOperator();
      const exited = new Promise((r) => op.on('exit', r));
      await new Promise((r) => setTimeout(r, 800 + random() * 2500)); // start-up is ~1-2 s of this
      op.kill('SIGKILL');
      await exited;
      if ((await env.exists(gwRef)) === gateway) finished++;
    }
    // How many kills came after the operator had caught up (the rest cut a reconcile short).
    process.stderr.write(`      [kill test] ${finished}/20 trials had converged when killed\n`);

    const op = startOperator();
    try {
      const gw = deploymentRef(ns, 'istio-ingressgateway');
      await waitFor(
        'converged after the last kill',
        async () => {
          const iop = (await env.client.get(iopRef(ns, 'cp'))) as unknown as IstioOperator;
          return (
            iop.status?.status === 'HEALTHY' &&
            iop.status.observedGeneration === iop.metadata.generation &&
            (await env.exists(gw)) === gateway
          );
        },
        60_000,
        () => (op.exitCode !== null ? 'the operator exited' : undefined),
        250,
      );
      assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);
      assert.equal(await env.exists(unowned), true, 'an unowned object was deleted');
      assert.equal(await env.exists(others), true, "another IstioOperator's object was deleted");
      const deployments = await env.client.list(
        { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
        ns,
      );
      assert.deepEqual(
        deployments.map((d) => d.metadata?.name).sort(),
        gateway ? ['istio-ingressgateway', 'istiod'] : ['istiod'],
      );

      await env.client.delete(iopRef(ns, 'cp'));
      await env.uninstalled(ns, 'cp', 60_000);
      assert.equal(
        await env.exists(others),
        true,
        "uninstall deleted another IstioOperator's object",
      );
    } finally {
      op.kill('SIGKILL');
    }
  });
});
