import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import type { ObjectRef } from '../../../src/kube/client.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const note = (line: string) => process.stderr.write(`      [missing-crd] ${line}\n`);

const MULTUS_CRD: ObjectRef = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'network-attachment-definitions.k8s.cni.cncf.io' },
};
const NAD: ObjectRef = {
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name: 'istio-cni', namespace: 'default' },
};

describe('openshift-ambient without Multus: the missing CRD is reported, the rest installed', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let ns: string;
  let crdInstalled = false;
  const NAME = 'ambient';

  const daemonSet = (name: string): ObjectRef => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
  });
  const status = async () => (await env.getIop(ns, NAME)).status;

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    assert.equal(await env.exists(MULTUS_CRD), false, 'the control plane has no Multus CRD');
    ns = await env.namespace('no-multus');
    manager = await env.startOperator([ns]);
  });

  after(async function () {
    this.timeout(120_000);
    await env.client.delete(iopRef(ns, NAME)).catch(() => undefined);
    await env.uninstalled(ns, NAME).catch(() => undefined);
    await manager?.stop();
    if (crdInstalled) {
      // Other tests count on a control plane without Multus.
      await env.client.delete(MULTUS_CRD).catch(() => undefined);
      await waitFor('Multus CRD gone', async () => !(await env.exists(MULTUS_CRD)), 60_000);
    }
    await env.client
      .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      .catch(() => undefined);
  });

  it('installs ztunnel and the CNI agent, and says in status that the Multus CRD is missing and how to fix it', async function () {
    this.timeout(120_000);
    await env.client.apply({
      ...iopRef(ns, NAME),
      spec: {
        profile: 'openshift-ambient',
        namespace: ns,
        components: { cni: { namespace: ns }, ztunnel: { namespace: ns } },
      },
    });
    await waitFor(
      'ztunnel installed and the Cni error reported',
      async () =>
        (await env.exists(daemonSet('ztunnel'))) &&
        (await status())?.componentStatus?.Cni?.status === 'ERROR',
      60_000,
      undefined,
      200,
    );
    assert.ok(await env.exists(daemonSet('istio-cni-node')), 'the CNI agent is installed');
    const s = (await status())!;
    const cni = s.componentStatus!.Cni!.error ?? '';
    note(`Cni: ${cni}`);
    assert.match(cni, /NetworkAttachmentDefinition default\/istio-cni/);
    assert.match(cni, /CRD network-attachment-definitions\.k8s\.cni\.cncf\.io is not installed/);
    assert.match(cni, /install Multus, or set values\.cni\.provider to "default"/);
    assert.doesNotMatch(cni, /404 page not found/);
    assert.equal(s.status, 'ERROR');
    assert.equal(s.conditions?.find((c) => c.type === 'Stalled')?.status, 'True');
    assert.notEqual(s.componentStatus?.Ztunnel?.status, 'ERROR', 'ztunnel is not held back');
  });

  it('applies the NetworkAttachmentDefinition as soon as Multus is installed', async function () {
    this.timeout(120_000);
    crdInstalled = true;
    const t0 = Date.now();
    await env.client.apply({
      ...MULTUS_CRD,
      spec: {
        group: 'k8s.cni.cncf.io',
        scope: 'Namespaced',
        names: {
          plural: 'network-attachment-definitions',
          singular: 'network-attachment-definition',
          kind: 'NetworkAttachmentDefinition',
          shortNames: ['net-attach-def'],
        },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', properties: { config: { type: 'string' } } },
                },
              },
            },
          },
        ],
      },
    } as k8s.KubernetesObject);
    // Well before the 5-minute safety net: the informer that waited for the CRD wakes it.
    await waitFor(
      'NetworkAttachmentDefinition applied',
      () => env.exists(NAD),
      30_000,
      undefined,
      200,
    );
    await waitFor(
      'Cni no longer in error',
      async () => (await status())?.componentStatus?.Cni?.status !== 'ERROR',
      30_000,
      undefined,
      200,
    );
    note(`NetworkAttachmentDefinition applied ${Date.now() - t0} ms after the CRD`);
    const iop: IstioOperator = await env.getIop(ns, NAME);
    assert.equal(iop.status?.componentStatus?.Cni?.error, undefined);
  });
});
