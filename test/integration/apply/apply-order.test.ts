import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyManifest } from '../../../src/apply/applier.js';
import type { LiveState } from '../../../src/apply/live.js';
import { componentReadiness } from '../../../src/apply/readiness.js';
import { startControlPlane, type RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { KubeClient, type ObjectRef } from '../../../src/kube/client.js';
import { isNotFound } from '../../../src/kube/errors.js';
import { kubeRequest } from '../../../src/kube/request.js';
import type { K8sObject } from '../../../src/render/object.js';

const NS = 'default';

/** A namespaced CRD of group example.test; `kind` may clash with another CRD's. */
function crd(plural: string, kind: string): K8sObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.example.test` },
    spec: {
      group: 'example.test',
      names: { plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  };
}

/** The reference of an object, for a GET. */
const ref = (o: K8sObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
});

/** The `a` key of a live ConfigMap. */
const dataOf = async (client: KubeClient, o: K8sObject) =>
  ((await client.get(ref(o))) as { data?: Record<string, string> }).data?.a;

const configMap = (name: string): K8sObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS },
  data: { a: 'b' },
});

/** Nothing cached: every object is looked up from the API server where the applier needs it. */
const NOTHING_CACHED: LiveState = {
  get: () => undefined,
  ownedBy: () => [],
  ownerExists: () => Promise.resolve(false),
};

/**
 * The applier waits for a CRD to be Established only before an object of a
 * kind it defines, not before the rest of the manifest: proven with a CRD
 * that can never become Established (its kind is already another CRD's, so
 * the API server refuses its names). Everything else is applied at once and
 * readiness names the CRD; an object of its kind waits for it, and fails
 * when the wait runs out.
 */
describe('apply: what waits for what (CRDs, Services, dependencies)', function () {
  this.timeout(10 * 60_000); // a cold run builds etcd and kube-apiserver first
  let cp: RunningControlPlane | undefined;
  let dir: string;
  let client: KubeClient;
  const owner = { name: 'apply-order', namespace: NS };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apply-order-'));
    cp = await startControlPlane({ dir, mode: 'minimal' });
    client = new KubeClient(cp.kubeConfig());
    await client.apply(crd('widgets', 'Widget') as KubernetesObject);
    await waitFor(
      'widgets.example.test Established',
      async () =>
        (
          (await client.get(ref(crd('widgets', 'Widget')))) as K8sObject & {
            status?: { conditions?: { type: string; status: string }[] };
          }
        ).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false,
      60_000,
    );
  });

  after(async () => {
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('applies the rest at once while a CRD of the manifest is not Established, and readiness names it', async () => {
    const clash = crd('gadgets', 'Widget'); // KindConflict: never Established
    const objects = [clash, configMap('applied-at-once')];
    const started = Date.now();
    const outcome = await applyManifest([{ component: 'Base', objects }], {
      client,
      live: NOTHING_CACHED,
      owner,
      crdTimeoutMs: 20_000,
    });
    const took = Date.now() - started;
    assert.deepEqual(
      outcome.components.map((c) => c.error),
      [undefined],
    );
    assert.ok(took < 10_000, `applied in ${took} ms, not after a CRD wait`);
    assert.equal(await dataOf(client, configMap('applied-at-once')), 'b');
    const live = await client.get(ref(clash));
    const readiness = componentReadiness(objects as KubernetesObject[], {
      ...NOTHING_CACHED,
      get: (_v, kind) => (kind === 'CustomResourceDefinition' ? live : undefined),
    });
    assert.deepEqual(readiness, {
      ready: false,
      waitingFor: ['CRD to become Established: gadgets.example.test'],
    });
  });

  it('waits for the CRD before an object of its kind, and fails naming it when it never comes', async () => {
    const clash = crd('gadgets', 'Widget');
    const gadget: K8sObject = {
      apiVersion: 'example.test/v1',
      kind: 'Widget',
      metadata: { name: 'never', namespace: NS },
      spec: {},
    };
    const outcome = await applyManifest(
      [{ component: 'Base', objects: [clash, configMap('before-the-wait'), gadget] }],
      { client, live: NOTHING_CACHED, owner, crdTimeoutMs: 3_000 },
    );
    const [base] = outcome.components;
    assert.match(base?.error ?? '', /CRD gadgets\.example\.test Established/);
    // The ConfigMap needs no CRD: applied although the Widget's wait failed.
    assert.equal(await dataOf(client, configMap('before-the-wait')), 'b');
    // Never sent: Widgets (of the Established widgets CRD) hold no `never`.
    await assert.rejects(
      kubeRequest(cp!.kubeConfig(), 'GET', `/apis/example.test/v1/namespaces/${NS}/widgets/never`),
      (e: unknown) => isNotFound(e),
    );
  });

  it('starts a dependent once the rest of its dependency is applied: a refused CRD fails Base, naming it, and holds Pilot back no more', async () => {
    // The API server refuses it: a CRD's name must be <plural>.<group>.
    const refused = {
      ...crd('sprockets', 'Sprocket'),
      metadata: { name: 'misnamed.example.test' },
    };
    const outcome = await applyManifest(
      [
        { component: 'Base', objects: [refused, configMap('base-beside-the-crd')] },
        { component: 'Pilot', objects: [configMap('pilot-after-base')] },
      ],
      { client, live: NOTHING_CACHED, owner },
    );
    const [base, pilot] = outcome.components;
    assert.match(base?.error ?? '', /apply CustomResourceDefinition misnamed\.example\.test: /);
    assert.equal(pilot?.blockedBy, undefined);
    assert.equal(pilot?.error, undefined);
    assert.deepEqual(pilot?.applied, ['ConfigMap default/pilot-after-base']);
    assert.equal(await dataOf(client, configMap('base-beside-the-crd')), 'b');
    assert.equal(await dataOf(client, configMap('pilot-after-base')), 'b');
  });

  it('still holds a dependent back when the rest of its dependency fails', async () => {
    const nowhere: K8sObject = {
      ...configMap('in-a-missing-namespace'),
      metadata: { name: 'in-a-missing-namespace', namespace: 'no-such-namespace' },
    };
    const outcome = await applyManifest(
      [
        { component: 'Base', objects: [crd('cogs', 'Cog'), nowhere] },
        { component: 'Pilot', objects: [configMap('never-applied')] },
      ],
      { client, live: NOTHING_CACHED, owner },
    );
    const [base, pilot] = outcome.components;
    assert.match(base?.error ?? '', /no-such-namespace/);
    assert.equal(pilot?.blockedBy, 'Base');
    await assert.rejects(client.get(ref(configMap('never-applied'))), (e: unknown) =>
      isNotFound(e),
    );
    // The CRD beside the failed stage was written all the same (and waited for).
    assert.ok(await client.get(ref(crd('cogs', 'Cog'))));
  });

  it('applies the workloads without waiting for a Service, and the webhooks only after it', async () => {
    const service = (name: string, port: number): K8sObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { selector: { app: name }, ports: [{ name: 'https', port, targetPort: 15017 }] },
    });
    const deployment = (name: string): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'c', image: 'example.test/none:1' }] },
        },
      },
    });
    const webhook = (name: string, svc: string): K8sObject => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: `${name}.example.test`,
          clientConfig: { service: { name: svc, namespace: NS, path: '/validate' } },
          // Matches nothing of this test: no request is ever sent to it.
          rules: [
            {
              apiGroups: ['example.test'],
              apiVersions: ['v1'],
              operations: ['CREATE'],
              resources: ['nothings'],
            },
          ],
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          failurePolicy: 'Ignore',
        },
      ],
    });
    const rv = async (o: K8sObject) => Number((await client.get(ref(o))).metadata?.resourceVersion);

    // The Service is written before the webhook that calls it (etcd's
    // revisions, which resourceVersions are here, order the two writes).
    const ok = [service('answers', 443), deployment('answers'), webhook('answers-hook', 'answers')];
    const outcome = await applyManifest([{ component: 'Pilot', objects: ok }], {
      client,
      live: NOTHING_CACHED,
      owner,
    });
    assert.equal(outcome.components[0]?.error, undefined);
    assert.ok((await rv(ok[0]!)) < (await rv(ok[2]!)), 'the Service before the webhook');

    // A Service the API server refuses (port 0) holds the webhook back, not the Deployment.
    const bad = [service('refused', 0), deployment('not-held'), webhook('held-hook', 'refused')];
    const refused = await applyManifest([{ component: 'Pilot', objects: bad }], {
      client,
      live: NOTHING_CACHED,
      owner,
    });
    assert.match(refused.components[0]?.error ?? '', /apply Service default\/refused: /);
    assert.ok(await client.get(ref(bad[1]!)), 'the Deployment applied');
    await assert.rejects(client.get(ref(bad[2]!)), (e: unknown) => isNotFound(e));
  });
});
