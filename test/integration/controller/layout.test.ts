import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { deploymentRef } from '../../support/operator.js';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { useCluster } from '../../support/cluster.js';
import { installIstioOperatorCrd } from '../../support/crd.js';
import { keepForSuite } from '../../support/operator-leaks.js';

const OWNER = 'install.operator.istio.io/owning-resource';

describe('operator: the split control-plane / gateway layout, and restarts', function () {
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let manager: OperatorManager | undefined;
  let cpNs: string;
  let gwNs: string;

  const iop = (name: string, namespace: string, spec: object) => ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace },
    spec,
  });
  const status = async (name: string, namespace: string) =>
    ((await client.get(iop(name, namespace, {}))) as unknown as IstioOperator).status;
  const exists = async (kind: string, apiVersion: string, name: string, namespace: string) => {
    try {
      await client.get({ apiVersion, kind, metadata: { name, namespace } });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  };
  const startManager = async (resyncMs?: number) => {
    manager = new OperatorManager({
      kubeConfig: kc,
      watchNamespaces: [cpNs, gwNs],
      requeueWhileRollingMs: 500,
      ...(resyncMs ? { resyncMs } : {}),
    });
    await manager.start();
    // Restarted by tests for the next ones: the suite stops the last.
    keepForSuite(manager);
    return manager;
  };

  before(async function () {
    this.timeout(30 * 60_000);
    kc = (await useCluster()).kubeConfig();
    client = new KubeClient(kc);
    await installIstioOperatorCrd(kc);
    const id = randomBytes(3).toString('hex');
    cpNs = `cp-${id}`;
    gwNs = `gw-${id}`;
    for (const name of [cpNs, gwNs])
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });

  after(async () => {
    await manager?.stop();
  });

  it('runs a demo control plane without gateways and a gateway-only IstioOperator in another namespace', async () => {
    await startManager();
    await client.apply(
      iop('control-plane', cpNs, {
        profile: 'demo',
        namespace: cpNs,
        components: {
          ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
          egressGateways: [{ name: 'istio-egressgateway', enabled: false }],
        },
      }),
    );
    await client.apply(
      iop('ingress', gwNs, {
        profile: 'empty',
        namespace: cpNs,
        components: {
          ingressGateways: [{ name: 'istio-ingressgateway', namespace: gwNs, enabled: true }],
        },
      }),
    );
    await waitFor(
      'both HEALTHY',
      async () =>
        (await status('control-plane', cpNs))?.status === 'HEALTHY' &&
        (await status('ingress', gwNs))?.status === 'HEALTHY',
      90_000,
      undefined,
      250,
    );
    const gw = (await client.get(deploymentRef(gwNs, 'istio-ingressgateway'))) as k8s.V1Deployment;
    assert.equal(gw.metadata?.labels?.[OWNER], 'ingress');
    const istiod = (await client.get(deploymentRef(cpNs, 'istiod'))) as k8s.V1Deployment;
    assert.equal(istiod.metadata?.labels?.[OWNER], 'control-plane');
    assert.deepEqual(Object.keys((await status('ingress', gwNs))?.componentStatus ?? {}), [
      'IngressGateways',
    ]);
  });

  it('issues zero writes after an operator restart on a converged cluster', async () => {
    // Converged: the running operator has written all it will (its proxies
    // loop reports on the pods 2 s after the install turned HEALTHY).
    await waitFor('converged', async () => manager!.isIdle(), 30_000, undefined, 100);
    await manager!.stop();
    const m = await startManager();
    // Every owned object's add event enqueues its owner: wait until both have been reconciled.
    await waitFor(
      'reconciles after restart',
      async () => m.counts.done >= 2 && m.isIdle(),
      30_000,
      undefined,
      100,
    );
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(
      m.client.total(),
      0,
      `writes after restart: ${JSON.stringify([...m.client.requests].map(([v, c]) => [v, [...c]]))}`,
    );
  });

  it('issues zero writes across periodic resyncs', async () => {
    await manager!.stop();
    const m = await startManager(1000);
    await waitFor(
      'initial reconciles',
      async () => m.counts.done >= 2 && m.isIdle(),
      30_000,
      undefined,
      100,
    );
    const after = m.counts.done;
    // Resync periods are jittered ±10%: a few of them pass within the wait.
    await waitFor(
      'resync reconciles',
      async () => m.counts.done >= after + 4,
      10_000,
      undefined,
      100,
    );
    assert.equal(m.client.total(), 0, 'writes across resyncs');
  });

  it('deleting the gateway IstioOperator removes only its gateway', async () => {
    await client.delete(iop('ingress', gwNs, {}));
    await waitFor(
      'gateway gone',
      async () => !(await exists('Deployment', 'apps/v1', 'istio-ingressgateway', gwNs)),
      30_000,
      undefined,
      200,
    );
    assert.equal(await exists('Deployment', 'apps/v1', 'istiod', cpNs), true);
    assert.equal((await status('control-plane', cpNs))?.status, 'HEALTHY');
    await client.delete(iop('control-plane', cpNs, {}));
    await waitFor(
      'control plane gone',
      async () => !(await exists('Deployment', 'apps/v1', 'istiod', cpNs)),
      30_000,
      undefined,
      200,
    );
  });
});
