import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { Gauge } from 'prom-client';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import { operatorEvents } from '../../../src/controller/events.js';
import { PROXIES_CONDITION } from '../../../src/controller/proxies-status.js';
import { ProxiesLoop, RETRY_BASE_MS } from '../../../src/controller/proxies-loop.js';
import { KubeClient } from '../../../src/kube/client.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const NAME = 'mesh';

/**
 * The proxies loop writes status from the IstioOperator as the operator's
 * cache hands it out; when that copy is behind (the install loop wrote
 * meanwhile) its write answers 409. Its look lists every pod in the
 * cluster, so the conflict must cost one GET and one more write — not a
 * second look after a backoff, which is what made the HTTP 410 fault
 * window see four namespace lists in three seconds.
 */
describe('controller: the proxies loop after a status conflict (real API server)', function () {
  this.timeout(120_000);
  let env: OperatorEnv;
  let ns: string;
  let loop: ProxiesLoop | undefined;

  /**
   * Starts a proxies loop that is handed `cached` as the operator's copy of
   * the IstioOperator, on a client of its own (its requests counted apart),
   * and wakes it once; `wrote` collects what it tells the operator it wrote.
   */
  function startLoop(cached: IstioOperator): { client: KubeClient; wrote: IstioOperator[] } {
    const client = new KubeClient(env.kc);
    const wrote: IstioOperator[] = [];
    loop = new ProxiesLoop({
      client,
      event: operatorEvents(client),
      metrics: {
        staleProxyPods: new Gauge({
          name: 'proxies_conflict_test_stale_pods',
          help: 'test',
          labelNames: ['namespace', 'name'],
          registers: [],
        }),
      },
      get: () => structuredClone(cached),
      all: () => [cached],
      owns: () => true,
      wrote: (iop) => wrote.push(iop),
    });
    loop.controller.enqueue([`${ns}/${NAME}`]);
    loop.controller.startWorkers();
    return { client, wrote };
  }

  before(async function () {
    this.timeout(10 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('proxies-conflict');
  });

  after(async () => {
    await loop?.controller.stop();
    if (ns) {
      await env.client.delete(iopRef(ns, NAME)).catch(() => undefined);
      await env.client
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
        .catch(() => undefined);
    }
  });

  it('writes on a fresh copy after one GET, keeps the other writer’s status, and does not look again', async () => {
    await env.client.apply({ ...iopRef(ns, NAME), spec: { profile: 'minimal', namespace: ns } });
    const created = await env.getIop(ns, NAME);
    // The install loop's first write: the revision is installed.
    const stale = (await env.client.replaceStatus({
      ...created,
      status: { status: 'HEALTHY', observedGeneration: created.metadata.generation },
    } as unknown as KubernetesObject)) as unknown as IstioOperator;
    // Its second write, which the copy the proxies loop is handed lacks.
    const fresh = (await env.client.replaceStatus({
      ...stale,
      status: { ...stale.status, message: 'written after the cached copy' },
    } as unknown as KubernetesObject)) as unknown as IstioOperator;
    assert.notEqual(fresh.metadata.resourceVersion, stale.metadata.resourceVersion);

    const { client, wrote } = startLoop(stale);
    await waitFor('the proxies loop wrote status', async () => wrote.length > 0, 30_000);
    // Long enough for a retry of the whole look (its first backoff) to show.
    await new Promise((r) => setTimeout(r, RETRY_BASE_MS + 500));

    const byCode = (verb: 'list' | 'get' | 'update') =>
      Object.fromEntries(client.requests.get(verb) ?? new Map<number, number>());
    assert.deepEqual(byCode('list'), { 200: 3 }, 'one look: namespaces, pods, webhooks');
    assert.deepEqual(byCode('get'), { 200: 1 }, 'one GET of the IstioOperator');
    assert.deepEqual(
      byCode('update'),
      { 200: 1, 409: 1 },
      'the stale write, then one on the fresh copy',
    );
    assert.equal(loop!.controller.counts.conflict + loop!.controller.counts.error, 0);

    const now = await env.getIop(ns, NAME);
    assert.equal(now.status?.message, 'written after the cached copy', 'the other write kept');
    assert.equal(now.status?.proxies?.pods, 0);
    assert.equal(now.status?.conditions?.find((c) => c.type === PROXIES_CONDITION)?.status, 'True');
    assert.equal(wrote[0]?.metadata.resourceVersion, now.metadata.resourceVersion);
  });

  it('writes nothing when the fresh copy is another generation (its change wakes the loop)', async () => {
    await loop?.controller.stop();
    const before = await env.getIop(ns, NAME);
    const cached = structuredClone(before);
    delete cached.status?.proxies;
    // A spec change the cached copy lacks.
    await env.client.apply({
      ...iopRef(ns, NAME),
      spec: { profile: 'minimal', namespace: ns, meshConfig: { accessLogFile: '/dev/stdout' } },
    });
    const { client, wrote } = startLoop(cached);
    await waitFor(
      'the proxies loop looked',
      async () => (client.requests.get('get')?.get(200) ?? 0) > 0,
      30_000,
    );
    await waitFor('the look ended', async () => loop!.controller.queue.inFlight() === 0, 30_000);
    assert.equal(wrote.length, 0);
    assert.deepEqual(Object.fromEntries(client.requests.get('update') ?? []), { 409: 1 });
    const after = await env.getIop(ns, NAME);
    assert.equal(after.metadata.generation, (before.metadata.generation ?? 0) + 1);
    assert.deepEqual(after.status, before.status, 'status untouched');
  });
});
