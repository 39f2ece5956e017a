import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager, ReconcileRecord } from '../../../src/controller/manager.js';
import { REVISION_CLAIM_LABEL } from '../../../src/api/vocabulary.js';
import { iopRef, operatorEnv, type OperatorEnv, deploymentRef } from '../../support/operator.js';
import { keepForSuite } from '../../support/operator-leaks.js';

/**
 * One operator reconciles every revision; an operator started for one
 * revision (`--revision`) claims it, and the first leaves that revision
 * alone while the claim is fresh, and takes it back when its operator stops.
 */
describe('operator: every revision by default, one revision with --revision', function () {
  let env: OperatorEnv;
  let ns: string;
  const managers: OperatorManager[] = [];
  /** Reconciles per operator: 'all', 'canary', 'default'. */
  const seen: Record<string, ReconcileRecord[]> = { all: [], canary: [], default: [] };
  const record = (who: string) => (r: ReconcileRecord) => seen[who]!.push(r);
  const keysOf = (who: string, since = 0) =>
    new Set(seen[who]!.filter((r) => r.startedAt >= since).map((r) => r.key));

  const healthyAt = async (name: string, generation?: number) =>
    waitFor(
      `${name} HEALTHY`,
      async () => {
        const iop = await env.getIop(ns, name);
        return (
          iop.status?.status === 'HEALTHY' &&
          iop.status.observedGeneration === (generation ?? iop.metadata.generation)
        );
      },
      60_000,
      undefined,
      100,
    );

  /** Changes the IstioOperator's spec (a new generation) and waits until it is HEALTHY at it. */
  const touch = async (name: string, value: string) => {
    const iop = (await env.client.mergePatch({
      ...iopRef(ns, name),
      spec: { values: { pilot: { env: { PILOT_TRACE_SAMPLING: value } } } },
    } as k8s.KubernetesObject)) as k8s.KubernetesObject;
    await healthyAt(name, iop.metadata!.generation);
  };

  /** An IstioOperator named for its revision: istiod only (Base stays with `stable`). */
  const applyRevision = (revision: string) =>
    env.client.apply({
      ...iopRef(ns, revision),
      spec: {
        profile: 'minimal',
        namespace: ns,
        revision,
        components: { base: { enabled: false } },
      },
    });

  const claimLease = (revision: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: `istio-operator-${revision}-claim`, namespace: ns },
  });

  before(async function () {
    this.timeout(30 * 60_000);
    env = await operatorEnv();
    ns = await env.namespace('rev');
  });

  after(async () => {
    for (const m of managers) await m.stop();
  });

  it('reconciles IstioOperators of every revision with one operator', async () => {
    managers.push(keepForSuite(await env.startOperator([ns], { onReconcile: record('all') })));
    await env.client.apply({
      ...iopRef(ns, 'stable'),
      spec: { profile: 'minimal', namespace: ns },
    });
    await applyRevision('canary');
    await healthyAt('stable');
    await healthyAt('canary');
    assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-canary')), true);
    assert.deepEqual([...keysOf('all')].sort(), [`${ns}/canary`, `${ns}/stable`]);
  });

  it('leaves a revision to the operator started for it while that one runs', async () => {
    const canary = await env.startOperator([ns], {
      revision: 'canary',
      onReconcile: record('canary'),
    });
    managers.push(keepForSuite(canary));
    // The claim is a Lease in the operator's namespace, labelled with the revision.
    const lease = (await env.client.get(claimLease('canary'))) as k8s.V1Lease;
    assert.equal(lease.metadata?.labels?.[REVISION_CLAIM_LABEL], 'canary');
    assert.ok(lease.spec?.holderIdentity, 'the claim has a holder');

    const t0 = Date.now();
    await touch('canary', '11');
    await touch('stable', '11');
    assert.deepEqual([...keysOf('canary', t0)], [`${ns}/canary`]);
    assert.deepEqual(
      [...keysOf('all', t0)],
      [`${ns}/stable`],
      'the operator of every revision reconciled the claimed revision',
    );
  });

  it('takes the revision back when its own operator stops', async () => {
    const canary = managers.pop()!;
    await canary.stop();
    const lease = (await env.client.get(claimLease('canary'))) as k8s.V1Lease;
    assert.equal(lease.spec?.holderIdentity, '', 'an orderly stop releases the claim');
    const t0 = Date.now();
    await touch('canary', '12');
    assert.ok(keysOf('all', t0).has(`${ns}/canary`));
    // Each IstioOperator still uninstalls only its own.
    await env.client.delete(iopRef(ns, 'canary'));
    await env.uninstalled(ns, 'canary', 30_000);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-canary')), false);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);
  });

  it("takes a revision back when its operator's claim lapses (a crashed operator releases nothing)", async () => {
    // What a crashed operator of revision "gone" leaves: a held claim, never renewed.
    await env.client.apply({
      ...claimLease('gone'),
      metadata: { ...claimLease('gone').metadata, labels: { [REVISION_CLAIM_LABEL]: 'gone' } },
      spec: { holderIdentity: 'crashed-pod_1', leaseDurationSeconds: 3 },
    } as k8s.KubernetesObject);
    // Its watch event reaches the operator well before the IstioOperator's.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await applyRevision('gone');
    // Left alone while the claim is fresh, then reconciled by the operator of every revision.
    await healthyAt('gone');
    const first = seen.all!.find((r) => r.key === `${ns}/gone` && r.startedAt >= t0)!;
    assert.ok(
      first.startedAt - t0 >= 2000,
      `reconciled ${first.startedAt - t0} ms after it was created, inside the 3 s claim`,
    );
    await env.client.delete(iopRef(ns, 'gone'));
    await env.uninstalled(ns, 'gone', 30_000);
  });

  it('with --revision default, reconciles only IstioOperators without a revision', async () => {
    const only = await env.startOperator([ns], {
      revision: 'default',
      onReconcile: record('default'),
    });
    managers.push(keepForSuite(only));
    const lease = (await env.client.get(claimLease('default'))) as k8s.V1Lease;
    assert.equal(lease.metadata?.labels?.[REVISION_CLAIM_LABEL], 'default');
    await applyRevision('other');
    await healthyAt('other');
    const t0 = Date.now();
    await touch('stable', '13');
    await touch('other', '13');
    assert.deepEqual([...keysOf('default', t0)], [`${ns}/stable`]);
    assert.deepEqual([...keysOf('all', t0)], [`${ns}/other`]);
    for (const name of ['other', 'stable']) {
      await env.client.delete(iopRef(ns, name));
      await env.uninstalled(ns, name, 30_000);
    }
  });
});
