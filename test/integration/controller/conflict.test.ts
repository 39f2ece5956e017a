import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const note = (line: string) => process.stderr.write(`      [conflict] ${line}\n`);
/** How long an unchanged conflict is watched for writes. */
const WINDOW_MS = 20_000;

describe('ownership conflict: two IstioOperators render the same objects', function () {
  let env: OperatorEnv;
  let manager: OperatorManager;
  let first: string;
  let second: string;
  let target: string;
  const NAME = 'control-plane';

  /** Events on the second IstioOperator, and the sum of their counts. */
  const events = async () => {
    const list = await env.client.list<k8s.CoreV1Event>(
      { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
      second,
    );
    const mine = list.filter(
      (e) => e.involvedObject.kind === 'IstioOperator' && e.involvedObject.name === NAME,
    );
    return { objects: mine.length, count: mine.reduce((n, e) => n + (e.count ?? 1), 0) };
  };
  const statusWrites = () =>
    [...(manager.client.requests.get('update')?.values() ?? [])].reduce((a, b) => a + b, 0);

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    first = await env.namespace('conflict-a');
    second = await env.namespace('conflict-b');
    target = await env.namespace('conflict-istio');
    manager = await env.startOperator([first, second]);
  });

  after(async function () {
    this.timeout(120_000);
    for (const ns of [first, second]) {
      await env.client.delete(iopRef(ns, NAME)).catch(() => undefined);
      await env.uninstalled(ns, NAME).catch(() => undefined);
    }
    await manager?.stop();
    for (const ns of [first, second, target]) {
      await env.client
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
        .catch(() => undefined);
    }
  });

  it('reports a conflict that does not change once: no status write, no Event while it lasts', async function () {
    this.timeout(120_000);
    const spec = { profile: 'minimal', namespace: target };
    await env.client.apply({ ...iopRef(first, NAME), spec });
    await waitFor(
      'first HEALTHY',
      async () => (await env.getIop(first, NAME)).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
    await env.client.apply({ ...iopRef(second, NAME), spec });
    await waitFor(
      'conflict reported',
      async () => (await env.getIop(second, NAME)).status?.status === 'ERROR',
      30_000,
      undefined,
      100,
    );
    await waitFor(
      'Conflict event',
      async () => (await events()).count >= 1,
      10_000,
      undefined,
      100,
    );
    const stalled = (await env.getIop(second, NAME)).status?.conditions?.find(
      (c) => c.type === 'Stalled',
    );
    assert.equal(stalled?.status, 'True');
    assert.equal(stalled?.reason, 'OwnershipConflict');
    assert.match(stalled?.message ?? '', new RegExp(`owned by IstioOperator ${first}/${NAME}`));

    // The owner's own follow-up writes are done (its proxies loop reports 2 s after HEALTHY).
    await waitFor('quiet', async () => manager.isIdle(), 15_000, undefined, 50);
    const rv = (await env.getIop(second, NAME)).metadata.resourceVersion;
    const writes = statusWrites();
    const before = await events();
    const reconciles = manager.counts.requeueAfter;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const after = await events();
    const written = statusWrites() - writes;
    note(
      `unchanged conflict over ${WINDOW_MS / 1000} s: ${manager.counts.requeueAfter - reconciles} retries, ` +
        `${written} status writes, ${after.objects - before.objects} new Events (count +${after.count - before.count})`,
    );
    // Still retried (the owner may hand the objects over), but quietly.
    assert.ok(manager.counts.requeueAfter - reconciles >= 3, 'the conflict is retried');
    assert.equal(written, 0, 'status writes while the conflict did not change');
    assert.equal((await env.getIop(second, NAME)).metadata.resourceVersion, rv);
    assert.equal(after.count - before.count, 0, 'Events while the conflict did not change');
    assert.equal((await env.getIop(second, NAME)).status?.status, 'ERROR');
  });

  it('takes over once the owner is gone', async function () {
    this.timeout(120_000);
    await env.client.delete(iopRef(first, NAME));
    await env.uninstalled(first, NAME);
    await waitFor(
      'second HEALTHY',
      async () => (await env.getIop(second, NAME)).status?.status === 'HEALTHY',
      60_000,
      undefined,
      200,
    );
  });
});
