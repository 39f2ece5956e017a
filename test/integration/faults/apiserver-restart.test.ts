import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IstioOperator } from '../../../src/api/types.js';
import {
  restartProcess,
  startControlPlane,
  type RunningControlPlane,
} from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { installIstioOperatorCrd } from '../../support/crd.js';
import { iopRef } from '../../support/operator.js';
import { keepForSuite } from '../../support/operator-leaks.js';

describe('faults: kube-apiserver restarted mid-reconcile (etcd keeps the data)', function () {
  let base: string;
  let cp: RunningControlPlane;
  let manager: OperatorManager | undefined;

  before(async function () {
    this.timeout(30 * 60_000);
    base = await mkdtemp(join(tmpdir(), 'fault-apiserver-'));
    // A control plane of its own: this test takes the API server away.
    cp = await startControlPlane({ dir: join(base, 'cp'), mode: 'full' });
  });

  after(async () => {
    await manager?.stop();
    await cp?.stop();
    await rm(base, { recursive: true, force: true });
  });

  it('reconnects, resumes its watches and converges, with nothing duplicated', async function () {
    this.timeout(300_000);
    const kc = cp.kubeConfig();
    const client = new KubeClient(kc);
    await installIstioOperatorCrd(kc);
    const ns = 'istio-system';
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    manager = new OperatorManager({
      kubeConfig: kc,
      watchNamespaces: [ns],
      requeueWhileRollingMs: 500,
    });
    await manager.start();
    keepForSuite(manager);
    const status = async () =>
      ((await client.get(iopRef(ns, 'cp'))) as unknown as IstioOperator).status;

    await client.apply({ ...iopRef(ns, 'cp'), spec: { profile: 'minimal' } });
    // Mid-reconcile: as soon as the operator has started writing.
    await waitFor(
      'reconcile under way',
      async () => manager!.client.total() > 0,
      30_000,
      undefined,
      10,
    );
    await restartProcess(cp.dir, 'kube-apiserver', 2000);
    await waitFor(
      'HEALTHY after the restart',
      async () => (await status())?.status === 'HEALTHY',
      120_000,
      undefined,
      250,
    );

    // The watches really resumed: a change made after the restart is acted on.
    await client.apply({
      ...iopRef(ns, 'cp'),
      spec: { profile: 'minimal', meshConfig: { accessLogFile: '/dev/stdout' } },
    });
    await waitFor(
      'change after restart applied',
      async () => {
        const cm = (await client.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio', namespace: ns },
        })) as { data?: { mesh?: string } };
        return /accessLogFile: \/dev\/stdout/.test(cm.data?.mesh ?? '');
      },
      60_000,
      undefined,
      250,
    );
    const deployments = await client.list(
      { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
      ns,
    );
    assert.deepEqual(
      deployments.map((d) => d.metadata?.name),
      ['istiod'],
    );
    const pods = await client.list(
      { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
      ns,
    );
    assert.ok(pods.length >= 1 && pods.length <= 2, `istiod pods: ${pods.length}`);
  });

  it('acts on an edit made right after a long API server outage within 5 s', async function () {
    this.timeout(300_000);
    assert.ok(manager, 'the operator runs (previous test)');
    const kc = cp.kubeConfig();
    const client = new KubeClient(kc);
    const ns = 'istio-system';
    const mesh = async () =>
      (
        (await client.get({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio', namespace: ns },
        })) as { data?: { mesh?: string } }
      ).data?.mesh ?? '';
    // Long enough for every informer's backoff to reach its 30 s cap.
    const downMs = 40_000;
    await restartProcess(cp.dir, 'kube-apiserver', downMs);
    const back = Date.now(); // /readyz answers 200
    await client.apply({
      ...iopRef(ns, 'cp'),
      spec: { profile: 'minimal', meshConfig: { accessLogFile: '/dev/after-outage' } },
    });
    await waitFor(
      'edit after the outage applied',
      async () => (await mesh()).includes('accessLogFile: /dev/after-outage'),
      90_000,
      undefined,
      100,
    );
    const ms = Date.now() - back;
    process.stderr.write(
      `      [apiserver-restart] down ${downMs / 1000} s; an edit made once /readyz answered was applied after ${ms} ms\n`,
    );
    assert.ok(ms < 5000, `applied ${ms} ms after the API server was back`);
  });
});
