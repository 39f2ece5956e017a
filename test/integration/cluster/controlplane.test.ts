import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { useCluster } from '../../support/cluster.js';
import { waitFor } from '../../../src/cluster/health.js';

const FIELD_MANAGER = 'istio-operator-test';

function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

async function isNotFound(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (e) {
    return e instanceof k8s.ApiException && e.code === 404;
  }
}

describe('local control plane (full mode)', function () {
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const namespaces: string[] = [];

  before(async function () {
    this.timeout(30 * 60_000); // the first run builds the binaries
    const cp = await useCluster();
    kc = cp.kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
  });

  after(async () => {
    for (const ns of namespaces) {
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });

  async function newNamespace(): Promise<string> {
    const name = uniqueName('cp-test');
    await core.createNamespace({ body: { metadata: { name } } });
    namespaces.push(name);
    return name;
  }

  it('serves the pinned Kubernetes version and the default namespaces', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    assert.match(version.gitVersion, /^v1\.34\.\d+$/);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.ok(names.includes(ns), `namespace ${ns} missing from ${names.join(',')}`);
    }
  });

  it('creates a namespace', async () => {
    const ns = await newNamespace();
    const got = await core.readNamespace({ name: ns });
    assert.equal(got.status?.phase, 'Active');
  });

  it('installs a CRD that becomes Established, then creates and lists custom resources', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const group = `${randomBytes(3).toString('hex')}.test.istio-operator.dev`;
    const crdName = `widgets.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await waitFor(
        'CRD Established',
        async () => {
          const crd = await ext.readCustomResourceDefinition({ name: crdName });
          return !!crd.status?.conditions?.some(
            (c) => c.type === 'Established' && c.status === 'True',
          );
        },
        30_000,
      );
      const ns = await newNamespace();
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      for (const [name, size] of [
        ['small', 1],
        ['large', 9],
      ] as const) {
        await custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: ns,
          plural: 'widgets',
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name }, spec: { size } },
        });
      }
      const list = (await custom.listNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: ns,
        plural: 'widgets',
      })) as { items: { metadata: { name: string }; spec: { size: number } }[] };
      assert.deepEqual(list.items.map((i) => [i.metadata.name, i.spec.size]).sort(), [
        ['large', 9],
        ['small', 1],
      ]);
      // The schema is enforced: a string where an integer belongs is refused.
      await assert.rejects(
        custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: ns,
          plural: 'widgets',
          body: {
            apiVersion: `${group}/v1`,
            kind: 'Widget',
            metadata: { name: 'bad' },
            spec: { size: 'big' },
          },
        }),
        (e: unknown) => e instanceof k8s.ApiException && e.code === 422,
      );
    } finally {
      await ext.deleteCustomResourceDefinition({ name: crdName });
    }
  });

  it('treats a repeated server-side apply of the same ConfigMap as a no-op', async () => {
    const ns = await newNamespace();
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const cm: k8s.V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: ns },
      data: { mesh: 'defaultConfig: {}' },
    };
    const first = await objects.patch(
      cm,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    const second = await objects.patch(
      cm,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.ok(first.metadata?.resourceVersion);
    assert.equal(second.metadata?.resourceVersion, first.metadata?.resourceVersion);
    const changed = await objects.patch(
      { ...cm, data: { mesh: 'defaultConfig: {concurrency: 2}' } },
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    assert.notEqual(changed.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.ok(
      changed.metadata?.managedFields?.some(
        (f) => f.manager === FIELD_MANAGER && f.operation === 'Apply',
      ),
    );
  });

  it('delivers watch events for ADDED, MODIFIED and DELETED', async () => {
    const ns = await newNamespace();
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      {},
      (phase, obj: k8s.V1ConfigMap) => {
        if (obj.metadata?.name === 'watched') seen.push(phase);
      },
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: 'watched' }, data: { a: '1' } },
      });
      await core.patchNamespacedConfigMap(
        { namespace: ns, name: 'watched', body: { data: { a: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'watched' });
      await waitFor('watch events', async () => seen.length >= 3, 10_000);
      assert.deepEqual(seen, ['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      controller.abort();
    }
  });

  it('rolls out a Deployment of 2 replicas to availableReplicas 2 on kwok nodes', async () => {
    const ns = await newNamespace();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                { name: 'web', image: 'registry.invalid/web:1', ports: [{ containerPort: 8080 }] },
              ],
            },
          },
        },
      },
    });
    await waitFor(
      'Deployment available',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).status
          ?.availableReplicas === 2,
      60_000,
      undefined,
      250,
    );
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) {
      assert.equal(pod.status?.phase, 'Running');
      assert.match(pod.spec?.nodeName ?? '', /^kwok-node-\d+$/);
      assert.ok(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }
  });

  it('completes the deletion of a namespace with workloads in it', async () => {
    const ns = await newNamespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'p' },
        spec: { containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
      },
    });
    await core.deleteNamespace({ name: ns });
    await waitFor(
      'namespace deleted',
      () => isNotFound(core.readNamespace({ name: ns })),
      60_000,
      undefined,
      250,
    );
  });
});
