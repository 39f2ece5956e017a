import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { objectPath, type KubeClient, type ObjectRef } from '../../../src/kube/client.js';
import { kubeRequest } from '../../../src/kube/request.js';
import {
  iopRef as iopRefIn,
  operatorEnv,
  type OperatorEnv,
  deploymentRef,
} from '../../support/operator.js';
import { FINALIZER } from '../../../src/api/vocabulary.js';

const OWNER = 'install.operator.istio.io/owning-resource';

describe('operator: reconcile IstioOperators on a real control plane', function () {
  let env: OperatorEnv;
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let manager: OperatorManager;
  let ns: string;

  const iopRef = (name: string) => iopRefIn(ns, name);
  const getIop = (name: string) => env.getIop(ns, name);
  const exists = (ref: ObjectRef) => env.exists(ref);
  const eventsFor = async (name: string) =>
    (
      await client.list<k8s.CoreV1Event>(
        { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
        ns,
      )
    )
      .filter((e) => e.involvedObject.kind === 'IstioOperator' && e.involvedObject.name === name)
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const healthy = (name: string, timeoutMs = 60_000) =>
    waitFor(
      `${name} HEALTHY`,
      async () => {
        const s = (await getIop(name)).status;
        return (
          s?.status === 'HEALTHY' &&
          s.observedGeneration === (await getIop(name)).metadata.generation
        );
      },
      timeoutMs,
      undefined,
      200,
    );

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    kc = env.kc;
    client = env.client;
    ns = await env.namespace('istio');
    manager = await env.startOperator([ns]);
  });

  after(async () => {
    await manager?.stop();
  });

  it('installs the default profile: objects carry owner labels, Deployments roll out, status is HEALTHY and Ready', async () => {
    await client.apply({
      ...iopRef('control-plane'),
      spec: {
        profile: 'default',
        namespace: ns,
        components: {
          ingressGateways: [{ name: 'istio-ingressgateway', enabled: true, namespace: ns }],
        },
      },
    });
    await healthy('control-plane');
    const iop = await getIop('control-plane');
    assert.ok(iop.metadata.finalizers?.includes(FINALIZER));
    const ready = iop.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(ready?.observedGeneration, iop.metadata.generation);
    assert.deepEqual(Object.keys(iop.status?.componentStatus ?? {}).sort(), [
      'Base',
      'IngressGateways',
      'Pilot',
    ]);
    const istiod = (await client.get(deploymentRef(ns, 'istiod'))) as k8s.V1Deployment;
    assert.equal(istiod.metadata?.labels?.[OWNER], 'control-plane');
    assert.equal(istiod.metadata?.labels?.['operator.istio.io/component'], 'Pilot');
    assert.ok((istiod.status?.availableReplicas ?? 0) >= 1);
  });

  it('issues no writes while idle', async () => {
    // Quiet first: the install's own follow-up reconciles and Events are done.
    await waitFor('quiet', async () => manager.isIdle(), 15_000, undefined, 50);
    await new Promise((r) => setTimeout(r, 500));
    await waitFor('quiet', async () => manager.isIdle(), 15_000, undefined, 50);
    const before = manager.client.total();
    const reconcilesBefore = manager.counts.done;
    manager.queue.add(`${ns}/control-plane`); // a reconcile with nothing to do
    await waitFor(
      'idle reconcile',
      async () => manager.counts.done > reconcilesBefore && manager.isIdle(),
      10_000,
      undefined,
      50,
    );
    assert.equal(manager.client.total(), before, 'write requests during an idle reconcile');
  });

  it('restores a hand-edited istiod image', async () => {
    const ref = deploymentRef(ns, 'istiod');
    const dep = (await client.get(ref)) as k8s.V1Deployment;
    const image = dep.spec!.template.spec!.containers[0]!.image!;
    await client.mergePatch({
      ...ref,
      spec: {
        template: {
          spec: { containers: [{ name: 'discovery', image: 'example.invalid/evil:1' }] },
        },
      },
    } as k8s.KubernetesObject);
    await waitFor(
      'image restored',
      async () =>
        ((await client.get(ref)) as k8s.V1Deployment).spec!.template.spec!.containers[0]!.image ===
        image,
      15_000,
      undefined,
      200,
    );
  });

  it('recreates a deleted ingress Service', async () => {
    const ref = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'istio-ingressgateway', namespace: ns },
    };
    await client.delete(ref);
    await waitFor('Service recreated', () => exists(ref), 15_000, undefined, 200);
  });

  it('leaves a caBundle set by istiod alone', async () => {
    const ref = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: `istio-sidecar-injector-${ns}` },
    };
    const hook = (await client.get(ref)) as k8s.V1MutatingWebhookConfiguration;
    for (const w of hook.webhooks!) w.clientConfig.caBundle = 'Q0E=';
    // istiod writes caBundle with a plain update (not server-side apply), as here.
    await kubeRequest(kc, 'PUT', objectPath(ref), hook);
    manager.queue.add(`${ns}/control-plane`);
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await client.get(ref)) as k8s.V1MutatingWebhookConfiguration;
    assert.ok(after.webhooks!.every((w) => w.clientConfig.caBundle === 'Q0E='));
  });

  it('prunes a disabled gateway and nothing else', async () => {
    const gw = deploymentRef(ns, 'istio-ingressgateway');
    assert.ok(await exists(gw));
    await client.apply({
      ...iopRef('control-plane'),
      spec: {
        profile: 'default',
        namespace: ns,
        components: {
          ingressGateways: [{ name: 'istio-ingressgateway', enabled: false, namespace: ns }],
        },
      },
    });
    await waitFor('gateway pruned', async () => !(await exists(gw)), 20_000, undefined, 200);
    await healthy('control-plane');
    assert.ok(await exists(deploymentRef(ns, 'istiod')));
    assert.deepEqual(
      Object.keys((await getIop('control-plane')).status?.componentStatus ?? {}).sort(),
      ['Base', 'Pilot'],
    );
    await waitFor(
      'Pruned event',
      async () =>
        (await eventsFor('control-plane')).some((e) =>
          /^Normal Pruned: deleted .*istio-ingressgateway/.test(e),
        ),
      10_000,
    );
    assert.ok(
      (await eventsFor('control-plane')).some((e) => e.startsWith('Normal Applied: Pilot:')),
    );
  });

  it('reports an invalid spec as Stalled with the messages and changes nothing', async () => {
    const writesBefore = manager.client.requests.get('apply')?.get(200) ?? 0;
    // Accepted by the API server (values is open there) but refused by the operator's validator.
    await client.apply({
      ...iopRef('broken'),
      spec: {
        profile: 'default',
        namespace: ns,
        values: { global: { proxy: { includeIPRanges: 'not-a-cidr' } } },
      },
    });
    await waitFor(
      'Stalled',
      async () => (await getIop('broken')).status?.status === 'ERROR',
      15_000,
      undefined,
      200,
    );
    const st = (await getIop('broken')).status!;
    const stalled = st.conditions?.find((c) => c.type === 'Stalled');
    assert.equal(stalled?.status, 'True');
    assert.match(stalled?.message ?? '', /includeIPRanges/);
    await waitFor(
      'Invalid event',
      async () =>
        (await eventsFor('broken')).some((e) => /^Warning Invalid: .*includeIPRanges/.test(e)),
      10_000,
    );
    assert.equal(
      manager.client.requests.get('apply')?.get(200) ?? 0,
      writesBefore,
      'no object applied',
    );
  });

  it('refuses to take over objects another IstioOperator owns', async () => {
    // A second control plane in the same namespace would own the same istiod.
    await client.apply({ ...iopRef('second'), spec: { profile: 'minimal', namespace: ns } });
    await waitFor(
      'conflict reported',
      async () => (await getIop('second')).status?.status === 'ERROR',
      15_000,
      undefined,
      200,
    );
    assert.match(
      (await getIop('second')).status?.message ?? '',
      /is owned by IstioOperator .*\/control-plane/,
    );
    const istiod = (await client.get(deploymentRef(ns, 'istiod'))) as k8s.V1Deployment;
    assert.equal(istiod.metadata?.labels?.[OWNER], 'control-plane');
  });

  it("uninstalls what it owns on delete, keeping the CRDs and users' resources", async () => {
    for (const name of ['second', 'broken']) await client.delete(iopRef(name));
    const vs = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'users-route', namespace: ns },
      spec: { hosts: ['example.com'], http: [{ route: [{ destination: { host: 'example' } }] }] },
    };
    await client.apply(vs);
    await client.delete(iopRef('control-plane'));
    await waitFor(
      'IstioOperator gone',
      async () => !(await exists(iopRef('control-plane'))),
      30_000,
      undefined,
      200,
    );
    assert.equal(await exists(deploymentRef(ns, 'istiod')), false);
    assert.equal(
      await exists({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: ns },
      }),
      false,
    );
    assert.equal(
      await exists({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'virtualservices.networking.istio.io' },
      }),
      true,
    );
    assert.equal(await exists(vs), true);
  });

  it('adopts the CRDs an uninstalled IstioOperator left behind', async () => {
    await client.apply({ ...iopRef('again'), spec: { profile: 'minimal', namespace: ns } });
    await healthy('again');
    const crd = await client.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'virtualservices.networking.istio.io' },
    });
    assert.equal(crd.metadata?.labels?.[OWNER], 'again');
    await client.delete(iopRef('again'));
    await waitFor(
      'again gone',
      async () => !(await exists(iopRef('again'))),
      30_000,
      undefined,
      200,
    );
  });
});
