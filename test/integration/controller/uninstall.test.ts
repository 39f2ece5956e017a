import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { DELETE_CRDS_ANNOTATION, IGNORE_ANNOTATION } from '../../../src/controller/reconciler.js';
import { KubeClient } from '../../../src/kube/client.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { useCluster } from '../../support/cluster.js';
import { installIstioOperatorCrd } from '../../support/crd.js';

// Runs last among the controller tests: the opt-in test deletes the Istio CRDs.
describe('operator: ignoreReconcile and deleting CRDs on explicit opt-in', function () {
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let manager: OperatorManager;
  let ns: string;
  const ref = (name: string) => ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace: ns },
  });
  const get = async (name: string) => (await client.get(ref(name))) as unknown as IstioOperator;
  const exists = async (r: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
  }) => {
    try {
      await client.get(r);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  };
  const vsCrd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'virtualservices.networking.istio.io' },
  };

  before(async function () {
    this.timeout(30 * 60_000);
    kc = (await useCluster()).kubeConfig();
    client = new KubeClient(kc);
    await installIstioOperatorCrd(kc);
    ns = `uninstall-${randomBytes(3).toString('hex')}`;
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    manager = new OperatorManager({
      kubeConfig: kc,
      watchNamespaces: [ns],
      requeueWhileRollingMs: 500,
    });
    await manager.start();
  });

  after(async () => {
    await manager.stop();
  });

  it('leaves an IstioOperator annotated ignoreReconcile alone and says so', async () => {
    await client.apply({
      ...ref('frozen'),
      metadata: { ...ref('frozen').metadata, annotations: { [IGNORE_ANNOTATION]: 'true' } },
      spec: { profile: 'minimal', namespace: ns },
    });
    await waitFor(
      'status says ignored',
      async () => /ignoreReconcile/.test((await get('frozen')).status?.message ?? ''),
      15_000,
      undefined,
      200,
    );
    assert.equal(
      await exists({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'istiod', namespace: ns },
      }),
      false,
    );
    assert.equal((await get('frozen')).metadata.finalizers, undefined, 'not even a finalizer');
    await client.delete(ref('frozen'));
  });

  it(`deletes the CRDs it owns only with ${DELETE_CRDS_ANNOTATION}: "true"`, async () => {
    await client.apply({
      ...ref('mesh'),
      metadata: { ...ref('mesh').metadata, annotations: { [DELETE_CRDS_ANNOTATION]: 'true' } },
      spec: { profile: 'minimal', namespace: ns },
    });
    await waitFor(
      'HEALTHY',
      async () => (await get('mesh')).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    const crd = await client.get(vsCrd);
    assert.equal(crd.metadata?.labels?.['install.operator.istio.io/owning-resource'], 'mesh');
    await client.delete(ref('mesh'));
    await waitFor(
      'IstioOperator gone',
      async () => !(await exists(ref('mesh'))),
      60_000,
      undefined,
      200,
    );
    await waitFor('CRD gone', async () => !(await exists(vsCrd)), 60_000, undefined, 200);
  });
});
