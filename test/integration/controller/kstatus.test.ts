import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { useCluster } from '../../support/cluster.js';
import { installIstioOperatorCrd } from '../../support/crd.js';
import { kstatus } from '../../support/kstatus.js';
import { keepForSuite } from '../../support/operator-leaks.js';

describe('health as Flux judges it (kstatus from sigs.k8s.io/cli-utils)', function () {
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let manager: OperatorManager | undefined;
  let ns: string;
  const ref = (name: string) => ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace: ns },
  });
  const get = async (name: string) => (await client.get(ref(name))) as unknown as IstioOperator;
  const start = async () => {
    manager = new OperatorManager({
      kubeConfig: kc,
      watchNamespaces: [ns],
      requeueWhileRollingMs: 500,
    });
    await manager.start();
    // Restarted by a test for the next one: the suite stops the last.
    keepForSuite(manager);
  };

  before(async function () {
    this.timeout(30 * 60_000);
    kc = (await useCluster()).kubeConfig();
    client = new KubeClient(kc);
    await installIstioOperatorCrd(kc);
    await kstatus({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'warm-up' } }); // builds the judge once
    ns = `kstatus-${randomBytes(3).toString('hex')}`;
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  after(async () => {
    await manager?.stop();
    for (const name of ['mesh', 'broken']) await client.delete(ref(name)).catch(() => undefined);
    const m = new OperatorManager({ kubeConfig: kc, watchNamespaces: [ns] });
    await m.start(); // let the finalizers run
    await waitFor(
      'cleanup',
      async () =>
        (await client.list({ ...ref('x'), plural: 'istiooperators', namespaced: true }, ns))
          .length === 0,
      30_000,
    );
    await m.stop();
  });

  it('is Current once converged, InProgress after a spec edit until the operator catches up', async () => {
    await start();
    await client.apply({ ...ref('mesh'), spec: { profile: 'minimal', namespace: ns } });
    await waitFor(
      'HEALTHY',
      async () => (await get('mesh')).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    assert.equal((await kstatus(await get('mesh'))).status, 'Current');

    await manager!.stop(); // nobody reconciles the next generation yet
    manager = undefined;
    await client.apply({
      ...ref('mesh'),
      spec: { profile: 'minimal', namespace: ns, meshConfig: { accessLogFile: '/dev/stdout' } },
    });
    const pending = await kstatus(await get('mesh'));
    assert.equal(pending.status, 'InProgress', pending.message);

    await start();
    await waitFor(
      'converged again',
      async () => (await kstatus(await get('mesh'))).status === 'Current',
      60_000,
      undefined,
      250,
    );
    assert.equal(
      (await get('mesh')).status?.observedGeneration,
      (await get('mesh')).metadata.generation,
    );
  });

  it('is Failed for an invalid spec', async () => {
    await client.apply({
      ...ref('broken'),
      spec: {
        profile: 'minimal',
        namespace: ns,
        values: { global: { proxy: { includeIPRanges: 'bad' } } },
      },
    });
    await waitFor(
      'ERROR',
      async () => (await get('broken')).status?.status === 'ERROR',
      30_000,
      undefined,
      200,
    );
    const judged = await kstatus(await get('broken'));
    assert.equal(judged.status, 'Failed', judged.message);
    assert.match(judged.message, /includeIPRanges/);
  });
});
