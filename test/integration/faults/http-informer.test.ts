import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../src/cluster/health.js';
import { Informer } from '../../../src/runtime/informer.js';
import { KubeClient } from '../../../src/kube/client.js';
import type { ResourceType } from '../../../src/kube/resource.js';
import { useCluster } from '../../support/cluster.js';
import { FaultProxy, type RequestRecord } from '../../support/fault-proxy.js';

const CONFIGMAPS: ResourceType = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};

describe('faults: one informer behind the fault proxy', function () {
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let proxy: FaultProxy;
  let ns: string;
  let informer: Informer<k8s.V1ConfigMap> | undefined;

  const configMap = (name: string) =>
    client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } });
  const gaps = (rs: RequestRecord[]) => rs.slice(1).map((r, i) => r.at - rs[i]!.at);

  before(async function () {
    this.timeout(30 * 60_000);
    kc = (await useCluster()).kubeConfig();
    client = new KubeClient(kc);
    ns = `http-informer-${randomBytes(3).toString('hex')}`;
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });

  beforeEach(async () => {
    proxy = new FaultProxy(kc);
    await proxy.start();
    informer = new Informer<k8s.V1ConfigMap>({
      kubeConfig: proxy.kubeConfig(),
      resource: CONFIGMAPS,
      namespace: ns,
      backoffBaseMs: 100,
      backoffMaxMs: 10_000,
    });
    await informer.start();
    await waitFor(
      'watching',
      async () => proxy.openWatches('configmaps') > 0,
      10_000,
      undefined,
      20,
    );
  });

  afterEach(async () => {
    await informer?.stop();
    await proxy.stop();
  });

  after(async () => {
    await client
      .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      .catch(() => undefined);
  });

  it('waits Retry-After before watching again after a 429, then catches up', async function () {
    this.timeout(60_000);
    const inf = informer!;
    const from = proxy.now();
    proxy.inject({ watch: true }, { kind: 'status', code: 429, retryAfterSeconds: 2 });
    proxy.endWatches();
    await configMap('during-429');
    await new Promise((r) => setTimeout(r, 5000));
    proxy.clear();
    const watches = proxy.requests(from, Infinity, (r) => r.verb === 'watch');
    const throttled = watches.filter((r) => r.status === 429);
    assert.ok(throttled.length >= 2, `throttled watches: ${throttled.length}`);
    note(`watches after 429s (Retry-After 2 s), gaps: ${gaps(watches).join(', ')} ms`);
    const early = gaps(watches).filter((g, i) => watches[i]!.status === 429 && g < 2000);
    assert.deepEqual(early, [], `gaps after a 429: ${gaps(watches).join(', ')} ms`);
    await waitFor('caught up', async () => !!inf.get('during-429', ns), 20_000, undefined, 50);
  });

  it('backs off exponentially while every relist fails, then catches up', async function () {
    this.timeout(60_000);
    const inf = informer!;
    const from = proxy.now();
    proxy.inject({ verbs: ['list'] }, { kind: 'status', code: 500 });
    proxy.expireWatches(); // 410 in the stream: the informer must list again
    await configMap('during-500');
    await new Promise((r) => setTimeout(r, 6000));
    proxy.clear();
    const lists = proxy.requests(from, Infinity, (r) => r.verb === 'list');
    const g = gaps(lists);
    note(`${lists.length} failed lists in 6 s, gaps: ${g.join(', ')} ms`);
    // 100 ms doubling, jittered to 50-100 %: the lists thin out; a loop would send hundreds.
    assert.ok(lists.length >= 3 && lists.length <= 8, `lists in 6 s: ${lists.length}`);
    assert.ok(g[g.length - 1]! > 2 * g[0]!, `gaps between failed lists: ${g.join(', ')} ms`);
    await waitFor('caught up', async () => !!inf.get('during-500', ns), 20_000, undefined, 50);
  });
});

function note(line: string): void {
  process.stderr.write(`      [http-informer] ${line}\n`);
}
