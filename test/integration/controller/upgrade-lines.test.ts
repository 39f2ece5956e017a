import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { LABELS } from '../../../src/api/vocabulary.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import type { ObjectRef } from '../../../src/kube/client.js';
import { ownCluster } from '../../support/cluster.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const crdRef = (name: string): ObjectRef => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
});

/**
 * Two Istio lines side by side (a 1.29 control plane and a 1.30 canary)
 * under one operator, each rendered from its own templates, and the CRDs they share: the newest
 * line's, never moved back while the older line keeps reconciling. Its own
 * control plane, since the CRDs are cluster-wide.
 */
describe('operator: a 1.29 control plane and a 1.30 canary, each from its own templates', function () {
  let cluster: RunningControlPlane;
  let env: OperatorEnv;
  let ns: string;
  const managers: OperatorManager[] = [];
  /** The IstioOperators the one operator reconciled. */
  const reconciled = new Set<string>();

  const get = (name: string) => env.getIop(ns, name);
  const healthy = (iop: IstioOperator) =>
    iop.status?.status === 'HEALTHY' && iop.status.observedGeneration === iop.metadata.generation;
  const until = async (what: string, name: string, ms = 90_000) => {
    let last: IstioOperator | undefined;
    try {
      await waitFor(what, async () => healthy((last = await get(name))), ms, undefined, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}; status: ${JSON.stringify(last?.status)}`);
    }
  };
  const clusterRole = async (name: string) =>
    (
      (await env.client.get({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
      })) as k8s.V1ClusterRole
    ).rules ?? [];
  const statusGroupOf = (rules: k8s.V1PolicyRule[], resource: string) =>
    rules.find((r) => r.resources?.includes(resource))?.apiGroups;
  const crd = async (name: string) =>
    (await env.client.get(crdRef(name))) as k8s.V1CustomResourceDefinition;

  before(async function () {
    this.timeout(10 * 60_000);
    cluster = await ownCluster('lines');
    env = await operatorEnv(cluster);
    ns = await env.namespace('lines');
    // One operator for both revisions (no --revision): each rendered from its own line.
    managers.push(await env.startOperator([ns], { onReconcile: (r) => reconciled.add(r.key) }));
  });

  after(async function () {
    this.timeout(120_000);
    for (const m of managers) await m.stop();
    await cluster?.stop();
  });

  it('installs 1.29 from 1.29 templates and CRDs', async () => {
    await env.client.apply({
      ...iopRef(ns, 'stable'),
      spec: { profile: 'minimal', namespace: ns, tag: '1.29.6' },
    });
    await until('1.29 installed', 'stable');
    const rules = await clusterRole(`istiod-clusterrole-${ns}`);
    assert.deepEqual(statusGroupOf(rules, 'xlistenersets/status'), ['gateway.networking.x-k8s.io']);
    assert.equal(await env.exists(crdRef('trafficextensions.extensions.istio.io')), false);
    const vs = await crd('virtualservices.networking.istio.io');
    assert.equal(vs.metadata?.labels?.[LABELS.version], '1.29.6');
    assert.equal(vs.metadata?.labels?.[LABELS.owner], 'stable');
  });

  it('adds a 1.30 canary from 1.30 templates, which brings its newer CRDs', async () => {
    await env.client.apply({
      ...iopRef(ns, 'next'),
      spec: { profile: 'minimal', namespace: ns, revision: 'canary', tag: '1.30.3' },
    });
    await until('1.30 canary installed', 'next');
    assert.deepEqual([...reconciled].sort(), [`${ns}/next`, `${ns}/stable`]);
    // Each control plane from its own line: the canary's istiod role has 1.30's rules, the 1.29 one keeps 1.29's.
    const canary = await clusterRole(`istiod-clusterrole-canary-${ns}`);
    assert.deepEqual(statusGroupOf(canary, 'listenersets/status'), ['gateway.networking.k8s.io']);
    assert.equal(statusGroupOf(canary, 'xlistenersets/status'), undefined);
    const stable = await clusterRole(`istiod-clusterrole-${ns}`);
    assert.deepEqual(statusGroupOf(stable, 'xlistenersets/status'), [
      'gateway.networking.x-k8s.io',
    ]);
    // The shared CRDs are now the newest line's.
    assert.equal(await env.exists(crdRef('trafficextensions.extensions.istio.io')), true);
    const vs = await crd('virtualservices.networking.istio.io');
    assert.equal(vs.metadata?.labels?.[LABELS.version], '1.30.3');
    assert.equal(vs.metadata?.labels?.[LABELS.owner], 'next');
  });

  it('never moves the CRDs back to 1.29 while the 1.30 canary exists', async () => {
    const before = (await crd('virtualservices.networking.istio.io')).metadata?.resourceVersion;
    // A change to the 1.29 control plane: it reconciles, and leaves the CRDs alone.
    await env.client.mergePatch({
      ...iopRef(ns, 'stable'),
      spec: { values: { pilot: { env: { PILOT_TRACE_SAMPLING: '2' } } } },
    } as k8s.KubernetesObject);
    await until('1.29 reconciled', 'stable');
    const vs = await crd('virtualservices.networking.istio.io');
    assert.equal(vs.metadata?.resourceVersion, before);
    assert.equal(vs.metadata?.labels?.[LABELS.version], '1.30.3');
    assert.equal(await env.exists(crdRef('trafficextensions.extensions.istio.io')), true);
  });

  it('keeps the 1.30 CRDs when the canary goes, and the 1.29 control plane stays HEALTHY', async () => {
    await env.client.delete(iopRef(ns, 'next'));
    await env.uninstalled(ns, 'next', 90_000);
    await env.client.mergePatch({
      ...iopRef(ns, 'stable'),
      spec: { values: { pilot: { env: { PILOT_TRACE_SAMPLING: '3' } } } },
    } as k8s.KubernetesObject);
    await until('1.29 reconciled again', 'stable');
    const vs = await crd('virtualservices.networking.istio.io');
    assert.equal(
      vs.metadata?.labels?.[LABELS.version],
      '1.30.3',
      'never replaced by an older schema',
    );
    const iop = await get('stable');
    assert.match(iop.status?.message ?? '', /newer than the Istio 1\.29\.6 CRDs/);
  });
});
