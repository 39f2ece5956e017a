import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import type { KubeClient, ObjectRef } from '../../../src/kube/client.js';
import { iopRef, operatorEnv, type OperatorEnv, deploymentRef } from '../../support/operator.js';
import { DELETE_CRDS_ANNOTATION, IGNORE_ANNOTATION } from '../../../src/api/vocabulary.js';

// Runs last among the controller tests: the opt-in test deletes the Istio CRDs.
describe('operator: ignoreReconcile and deleting CRDs on explicit opt-in', function () {
  let env: OperatorEnv;
  let client: KubeClient;
  let manager: OperatorManager;
  let ns: string;
  const ref = (name: string) => iopRef(ns, name);
  const get = (name: string) => env.getIop(ns, name);
  const exists = (r: ObjectRef) => env.exists(r);
  const vsCrd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'virtualservices.networking.istio.io' },
  };

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    client = env.client;
    ns = await env.namespace('uninstall');
    manager = await env.startOperator([ns]);
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
    assert.equal(await exists(deploymentRef(ns, 'istiod')), false);
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
