import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { withoutFieldSets } from '../../../src/apply/live.js';
import { Informer } from '../../../src/runtime/informer.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { ResourceType } from '../../../src/kube/resource.js';
import { useCluster } from '../../support/cluster.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

const CONFIGMAPS: ResourceType = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};
const MANAGED = 'operator.istio.io/managed=Reconcile';

/** A KubeConfig like `kc` but talking to the API server through `port`. */
function viaPort(kc: k8s.KubeConfig, port: number): k8s.KubeConfig {
  const out = new k8s.KubeConfig();
  const cluster = kc.getCurrentCluster()!;
  out.loadFromOptions({
    clusters: [{ ...cluster, server: `https://127.0.0.1:${port}` }],
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
  return out;
}

describe('Informer (real API server)', function () {
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let ns: string;
  let proxy: TcpProxy;
  let informer: Informer<k8s.V1ConfigMap> | undefined;
  const events: string[] = [];

  const cm = (
    name: string,
    managed = true,
    data: Record<string, string> = {},
  ): k8s.V1ConfigMap => ({
    metadata: {
      name,
      labels: managed ? { 'operator.istio.io/managed': 'Reconcile' } : { other: 'x' },
    },
    data,
  });

  before(async function () {
    this.timeout(30 * 60_000);
    kc = (await useCluster()).kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
  });

  beforeEach(async () => {
    ns = `informer-${randomBytes(3).toString('hex')}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const port = Number(new URL(kc.getCurrentCluster()!.server).port);
    proxy = new TcpProxy(port);
    events.length = 0;
  });

  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await proxy.stop();
    await core.deleteNamespace({ name: ns });
  });

  async function startInformer(opts: Partial<ConstructorParameters<typeof Informer>[0]> = {}) {
    const port = await proxy.start();
    informer = new Informer<k8s.V1ConfigMap>({
      kubeConfig: viaPort(kc, port),
      resource: CONFIGMAPS,
      namespace: ns,
      labelSelector: MANAGED,
      backoffBaseMs: 50,
      backoffMaxMs: 500,
      ...opts,
    });
    informer.onAdd((o) => events.push(`add ${o.metadata?.name}`));
    informer.onUpdate((old, o) =>
      events.push(`update ${o.metadata?.name} ${old.data?.v ?? '-'}->${o.data?.v ?? '-'}`),
    );
    informer.onDelete((o) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    return informer;
  }

  it('lists only labelled objects and is synced when start() resolves', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('mine') });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('not-mine', false) });
    const inf = await startInformer();
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(
      inf.list().map((o) => o.metadata?.name),
      ['mine'],
    );
    assert.deepEqual(events, ['add mine']);
  });

  it('delivers add, update with the previous object, and delete', async () => {
    await startInformer();
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('a', true, { v: '1' }) });
    await core.replaceNamespacedConfigMap({
      namespace: ns,
      name: 'a',
      body: cm('a', true, { v: '2' }),
    });
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
    await waitFor('events', async () => events.length >= 3, 10_000);
    assert.deepEqual(events, ['add a', 'update a 1->2', 'delete a']);
  });

  it('caches listed and watched objects through its transform (field sets dropped, managers kept)', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('listed') });
    const inf = await startInformer({ transform: withoutFieldSets });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('watched') });
    await waitFor('the watched object', async () => inf.list().length === 2, 10_000);
    for (const o of inf.list()) {
      const fields = o.metadata?.managedFields ?? [];
      assert.ok(fields.length > 0, `${o.metadata?.name}: managers kept`);
      for (const f of fields) {
        assert.deepEqual(Object.keys(f).sort(), ['manager', 'operation'], o.metadata?.name);
      }
    }
    // What the server holds still has them: only the cache is smaller.
    const live = await core.readNamespacedConfigMap({ namespace: ns, name: 'watched' });
    assert.ok(live.metadata?.managedFields?.some((f) => f.fieldsV1 !== undefined));
  });

  it('recovers after its connections are reset and refused, catching up on what changed meanwhile', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('gone-while-down') });
    const inf = await startInformer();
    const restartsBefore = inf.restarts;
    proxy.mode = 'refuse';
    proxy.resetAll();
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'gone-while-down' });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('born-while-down') });
    await new Promise((r) => setTimeout(r, 1500)); // several failed restarts
    proxy.mode = 'pass';
    await waitFor(
      'catch up',
      async () => !!inf.get('born-while-down', ns) && !inf.get('gone-while-down', ns),
      20_000,
    );
    assert.ok(
      inf.restarts > restartsBefore + 1,
      `restarted ${inf.restarts - restartsBefore} times`,
    );
    assert.ok(events.includes('delete gone-while-down'));
    assert.ok(events.includes('add born-while-down'));
  });

  it('restarts a watch that has gone silent', async () => {
    const inf = await startInformer({ watchTimeoutSeconds: 2, silenceMarginMs: 1000 });
    const restartsBefore = inf.restarts;
    proxy.mode = 'blackhole'; // connections stay open but nothing flows
    await new Promise((r) => setTimeout(r, 4000));
    proxy.resetAll();
    proxy.mode = 'pass';
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('after-silence') });
    await waitFor('event after silence', async () => events.includes('add after-silence'), 20_000);
    assert.ok(inf.restarts > restartsBefore);
    assert.ok(
      inf.restartReasons.some((r) => /no watch activity for 3s/.test(r)),
      `the watchdog restarted it; reasons: ${inf.restartReasons.join(' | ')}`,
    );
  });

  it('hands every cached object to onResync periodically', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('r1') });
    await core.createNamespacedConfigMap({ namespace: ns, body: cm('r2') });
    const inf = await startInformer({ resyncMs: 300 });
    const resynced: string[] = [];
    inf.onResync((o) => resynced.push(o.metadata!.name!));
    await waitFor('resync', async () => resynced.length >= 4, 5_000);
    assert.deepEqual([...new Set(resynced)].sort(), ['r1', 'r2']);
  });
});
