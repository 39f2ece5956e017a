import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import { waitFor } from '../../../src/cluster/health.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import type { ObjectRef } from '../../../src/kube/client.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';
import { ownCluster } from '../../support/cluster.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import {
  ALLOW_VERSION_SKEW_ANNOTATION,
  FORCE_DELETE_ANNOTATION,
} from '../../../src/api/vocabulary.js';
import { keepForSuite } from '../../support/operator-leaks.js';

const VERSION = 'operator.istio.io/version';
const OWNER = 'install.operator.istio.io/owning-resource';
const mwcRef = (name: string): ObjectRef => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  metadata: { name },
});
const crdRef = (name: string): ObjectRef => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
});

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a label selector selects an object with these labels (as the API server judges it). */
function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && e.values!.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

describe('operator: upgrades in place, version-skew guard, revision canary and tags', function () {
  let cluster: RunningControlPlane;
  let env: OperatorEnv;
  let ns: string;
  /** The default operator, and one per revision (`run --revision R`), as the canary flow runs them. */
  const managers: OperatorManager[] = [];

  const get = (name: string) => env.getIop(ns, name);
  const deployment = async (name: string) =>
    (await env.client.get(deploymentRef(ns, name))) as k8s.V1Deployment;
  const image = async (name: string) =>
    (await deployment(name)).spec?.template.spec?.containers[0]?.image;
  const condition = (iop: IstioOperator, type: string) =>
    iop.status?.conditions?.find((c) => c.type === type);
  /** Waits for `check` on the IstioOperator; on timeout says what its status was. */
  const until = async (
    what: string,
    check: (iop: IstioOperator) => boolean,
    name: string,
    ms = 60_000,
  ) => {
    let last: IstioOperator | undefined;
    try {
      await waitFor(what, async () => check((last = await get(name))), ms, undefined, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}; status: ${JSON.stringify(last?.status)}`);
    }
  };
  const healthy = (iop: IstioOperator) =>
    iop.status?.status === 'HEALTHY' && iop.status.observedGeneration === iop.metadata.generation;
  const patchSpec = (name: string, spec: object) =>
    env.client.mergePatch({ ...iopRef(ns, name), spec } as k8s.KubernetesObject);
  const annotate = (name: string, annotation: string) =>
    env.client.mergePatch({
      ...iopRef(ns, name),
      metadata: { ...iopRef(ns, name).metadata, annotations: { [annotation]: 'true' } },
    } as k8s.KubernetesObject);
  const labelNamespace = (name: string, rev: string) =>
    env.client.mergePatch({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'istio.io/rev': rev } },
    } as k8s.KubernetesObject);
  const gone = (name: string, ms?: number) => env.uninstalled(ns, name, ms);
  const pdbRef = (namespace: string, name: string): ObjectRef => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { namespace, name },
  });
  const crdStorage = async (name: string) =>
    ((await env.client.get(crdRef(name))) as k8s.V1CustomResourceDefinition).spec.versions.find(
      (v) => v.storage,
    )?.name;
  const clusterRoleRules = async (name: string) =>
    (
      (await env.client.get({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
      })) as k8s.V1ClusterRole
    ).rules ?? [];

  before(async function () {
    this.timeout(30 * 60_000);
    // Its own control plane: it installs several Istio lines, and the CRDs
    // (cluster-wide, never moved back to an older line) must start from none.
    cluster = await ownCluster('upgrade');
    env = await operatorEnv(cluster);
    ns = await env.namespace('upgrade');
    managers.push(await env.startOperator([ns]));
  });

  after(async function () {
    this.timeout(120_000);
    // Leave nothing behind for the next file: the CRDs this file's IstioOperator owns are shared.
    await env.client.delete(iopRef(ns, 'inplace')).catch(() => undefined);
    await gone('inplace').catch(() => undefined);
    for (const m of managers) await m.stop();
    await cluster?.stop();
  });

  it('rolls a tag change Pilot first, then the gateways once istiod is available, UPDATING until then', async () => {
    await env.client.apply({
      ...iopRef(ns, 'inplace'),
      spec: { profile: 'default', namespace: ns, tag: '1.27.9' },
    });
    await until('installed', healthy, 'inplace');
    let iop = await get('inplace');
    assert.equal(iop.status?.componentStatus?.Pilot?.version, '1.27.9');
    assert.equal((await deployment('istiod')).metadata?.labels?.[VERSION], '1.27.9');
    // 1.27 keeps one istiod and one gateway pod through node drains with a PDB each.
    assert.equal(await env.exists(pdbRef(ns, 'istiod')), true);
    assert.equal(await env.exists(pdbRef(ns, 'istio-ingressgateway')), true);
    assert.equal(await crdStorage('authorizationpolicies.security.istio.io'), 'v1beta1');

    // The new istiod cannot be scheduled yet (no node has the label), so its
    // rollout stalls: the gateway must keep its old image meanwhile.
    await patchSpec('inplace', {
      tag: '1.28.0',
      components: { pilot: { k8s: { nodeSelector: { 'upgrade-test': 'hold' } } } },
    });
    await until(
      'gateway upgrade held back',
      (i) =>
        i.status?.status === 'UPDATING' &&
        i.status.observedGeneration === i.metadata.generation &&
        /waiting for Deployment .*\/istiod to finish rolling out before upgrading Deployment .*\/istio-ingressgateway/.test(
          i.status.message ?? '',
        ),
      'inplace',
    );
    assert.equal(await image('istiod'), 'docker.io/istio/pilot:1.28.0');
    await new Promise((r) => setTimeout(r, 2000));
    iop = await get('inplace');
    assert.equal(iop.status?.status, 'UPDATING');
    assert.equal(await image('istio-ingressgateway'), 'docker.io/istio/proxyv2:1.27.9');
    assert.equal(iop.status?.componentStatus?.Pilot?.version, '1.27.9', 'still runs 1.27.9');
    assert.equal(iop.status?.componentStatus?.IngressGateways?.status, 'UPDATING');
    assert.equal(condition(iop, 'Reconciling')?.status, 'True');

    // Once istiod has rolled out, the gateway follows and all is HEALTHY.
    await patchSpec('inplace', { components: { pilot: { k8s: { nodeSelector: null } } } });
    await until('upgraded', healthy, 'inplace', 120_000);
    iop = await get('inplace');
    for (const c of ['Base', 'Pilot', 'IngressGateways'])
      assert.equal(iop.status?.componentStatus?.[c]?.version, '1.28.0', c);
    assert.equal(await image('istiod'), 'docker.io/istio/pilot:1.28.0');
    assert.equal(await image('istio-ingressgateway'), 'docker.io/istio/proxyv2:1.28.0');
    assert.equal((await deployment('istiod')).metadata?.labels?.[VERSION], '1.28.0');
    // Rendered from 1.28's templates: single-replica workloads get no PDB any
    // more (pruned), and the CRDs are 1.28's (security policies stored as v1).
    assert.equal(await env.exists(pdbRef(ns, 'istiod')), false, '1.28 renders no istiod PDB');
    assert.equal(await env.exists(pdbRef(ns, 'istio-ingressgateway')), false);
    assert.equal(await crdStorage('authorizationpolicies.security.istio.io'), 'v1');
    const rules = await clusterRoleRules(`istiod-clusterrole-${ns}`);
    assert.ok(rules.some((r) => r.apiGroups?.includes('inference.networking.k8s.io')));
  });

  it('refuses a downgrade and a skipped minor version, changing nothing, until annotated', async () => {
    const before = (await deployment('istiod')).metadata?.resourceVersion;
    await patchSpec('inplace', { tag: '1.27.9' });
    await until('downgrade refused', (i) => i.status?.status === 'ERROR', 'inplace');
    let stalled = condition(await get('inplace'), 'Stalled');
    assert.equal(stalled?.status, 'True');
    assert.equal(stalled?.reason, 'VersionSkew');
    assert.match(
      stalled?.message ?? '',
      /^spec\.tag.*1\.27\.9 is older than the installed 1\.28\.0/,
    );
    assert.match(stalled?.message ?? '', new RegExp(ALLOW_VERSION_SKEW_ANNOTATION));

    await patchSpec('inplace', { tag: '1.30.1' });
    await until(
      'skip refused',
      (i) =>
        i.status?.observedGeneration === i.metadata.generation &&
        /skips a minor version/.test(condition(i, 'Stalled')?.message ?? ''),
      'inplace',
    );
    stalled = condition(await get('inplace'), 'Stalled');
    assert.match(stalled?.message ?? '', /set 1\.29\.x first/);
    assert.equal(
      (await deployment('istiod')).metadata?.resourceVersion,
      before,
      'istiod untouched',
    );
    assert.equal(await image('istio-ingressgateway'), 'docker.io/istio/proxyv2:1.28.0');

    await annotate('inplace', ALLOW_VERSION_SKEW_ANNOTATION);
    await until('forced upgrade', healthy, 'inplace', 120_000);
    assert.equal(await image('istiod'), 'docker.io/istio/pilot:1.30.1');
    assert.equal(condition(await get('inplace'), 'Stalled')?.status, 'False');
    // 1.30's objects: istiod without GOMEMLIMIT (gone in 1.29), ListenerSet
    // status in the GA group, and 1.30's CRDs (TrafficExtension is new).
    const env30 = (await deployment('istiod')).spec?.template.spec?.containers[0]?.env ?? [];
    assert.ok(!env30.some((e) => e.name === 'GOMEMLIMIT'));
    const rules = await clusterRoleRules(`istiod-clusterrole-${ns}`);
    assert.ok(
      rules.some(
        (r) =>
          r.apiGroups?.includes('gateway.networking.k8s.io') &&
          r.resources?.includes('listenersets/status'),
      ),
    );
    assert.equal(await env.exists(crdRef('trafficextensions.extensions.istio.io')), true);
  });

  it('installs a canary revision next to the running control plane, leaving Base and the default revision alone', async () => {
    const istiodBefore = (await deployment('istiod')).metadata?.resourceVersion;
    const crdBefore = await env.client.get(crdRef('virtualservices.networking.istio.io'));
    managers.push(keepForSuite(await env.startOperator([ns], { revision: '1-31' })));
    await env.client.apply({
      ...iopRef(ns, 'canary'),
      spec: {
        profile: 'minimal',
        namespace: ns,
        revision: '1-31',
        tag: '1.30.3',
        values: { revisionTags: ['prod', 'next'] },
      },
    });
    await until('canary installed', healthy, 'canary');
    const canary = await get('canary');
    assert.equal(canary.status?.componentStatus?.Base?.status, 'HEALTHY');
    assert.equal(await image('istiod-1-31'), 'docker.io/istio/pilot:1.30.3');
    assert.equal((await deployment('istiod')).metadata?.resourceVersion, istiodBefore);
    const crdAfter = await env.client.get(crdRef('virtualservices.networking.istio.io'));
    assert.equal(crdAfter.metadata?.resourceVersion, crdBefore.metadata?.resourceVersion);
    assert.notEqual(crdAfter.metadata?.labels?.[OWNER], 'canary', 'the canary took over the CRDs');

    // Namespaces labelled for the canary revision (or its tag) go to the canary's injector.
    const injector = (await env.client.get(
      mwcRef(`istio-sidecar-injector-1-31-${ns}`),
    )) as k8s.V1MutatingWebhookConfiguration;
    const servedBy = (cfg: k8s.V1MutatingWebhookConfiguration, labels: Record<string, string>) =>
      (cfg.webhooks ?? []).filter(
        (w) =>
          selects(w.namespaceSelector as Selector, labels) &&
          selects(w.objectSelector as Selector, {}),
      );
    const hooks = servedBy(injector, { 'istio.io/rev': '1-31' });
    assert.ok(hooks.length > 0, 'a namespace labelled istio.io/rev=1-31 is selected');
    assert.equal(hooks[0]!.clientConfig.service?.name, 'istiod-1-31');
    assert.equal(servedBy(injector, { 'istio-injection': 'enabled' }).length, 0);
    const tag = (await env.client.get(
      mwcRef(`istio-revision-tag-prod-${ns}`),
    )) as k8s.V1MutatingWebhookConfiguration;
    assert.equal(tag.metadata?.labels?.['istio.io/rev'], '1-31');
    const tagHooks = servedBy(tag, { 'istio.io/rev': 'prod' });
    assert.ok(tagHooks.length > 0);
    assert.equal(tagHooks[0]!.clientConfig.service?.name, 'istiod-1-31');
    // The default revision's injector does not answer for the canary.
    const main = (await env.client.get(
      mwcRef(`istio-sidecar-injector-${ns}`),
    )) as k8s.V1MutatingWebhookConfiguration;
    assert.equal(servedBy(main, { 'istio.io/rev': '1-31' }).length, 0);
  });

  it("a revisioned IstioOperator never touches the default revision's gateway", async () => {
    const gw = await deployment('istio-ingressgateway');
    // The default profile brings the ingress gateway, which `inplace` owns.
    managers.push(keepForSuite(await env.startOperator([ns], { revision: '1-33' })));
    await env.client.apply({
      ...iopRef(ns, 'greedy'),
      spec: { profile: 'default', namespace: ns, revision: '1-33', tag: '1.30.3' },
    });
    await until(
      'conflict reported',
      (i) => condition(i, 'Stalled')?.reason === 'OwnershipConflict',
      'greedy',
    );
    assert.match(
      condition(await get('greedy'), 'Stalled')?.message ?? '',
      /Deployment .*\/istio-ingressgateway is owned by IstioOperator .*\/inplace/,
    );
    const after = await deployment('istio-ingressgateway');
    assert.equal(after.metadata?.resourceVersion, gw.metadata?.resourceVersion);
    await env.client.delete(iopRef(ns, 'greedy'));
    await gone('greedy', 30_000);
    assert.equal(await env.exists(deploymentRef(ns, 'istio-ingressgateway')), true);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-1-33')), false, 'nothing was applied');
  });

  it('moves a revision tag from one revision to the other by moving one line, never without a webhook', async () => {
    const tagRef = mwcRef(`istio-revision-tag-prod-${ns}`);
    let absent = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (!(await env.exists(tagRef))) absent++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    try {
      // Both edits as one commit lands them: the new owner first, then the old.
      await patchSpec('inplace', { values: { revisionTags: ['prod'] } });
      await patchSpec('canary', { values: { revisionTags: ['next'] } });
      await waitFor(
        'prod points at the default revision',
        async () => {
          const tag = await env.client.get(tagRef).catch(() => undefined);
          return (
            tag?.metadata?.labels?.['istio.io/rev'] === 'default' &&
            tag.metadata.labels[OWNER] === 'inplace'
          );
        },
        20_000,
        undefined,
        100,
      );
    } finally {
      watching = false;
      await watcher;
    }
    const moved = performance.now() - t0;
    await until('inplace healthy', healthy, 'inplace');
    await until('canary healthy', healthy, 'canary');
    const tag = (await env.client.get(tagRef)) as k8s.V1MutatingWebhookConfiguration;
    assert.equal(tag.webhooks?.[0]?.clientConfig.service?.name, 'istiod');
    assert.equal(await env.exists(mwcRef(`istio-revision-tag-next-${ns}`)), true);
    assert.equal(absent, 0, 'the tag webhook was missing during the move');
    // One conflict retry at most (5 s), not a wait for the old 30 s.
    assert.ok(moved < 15_000, `the tag took ${Math.round(moved)} ms to move`);
    console.log(`      tag moved in ${Math.round(moved)} ms, never absent`);
  });

  it('deleting the old revision waits while workloads use it, then removes only that revision', async () => {
    const app = await env.namespace('app');
    await labelNamespace(app, 'next');
    await env.client.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      // Labelled as an injected pod is; opted out of the (real) injector
      // webhook, whose istiod does not run under kwok.
      metadata: {
        name: 'web',
        namespace: app,
        labels: { 'istio.io/rev': '1-31', 'sidecar.istio.io/inject': 'false' },
      },
      spec: { containers: [{ name: 'web', image: 'example.com/web:1' }] },
    });
    await env.client.delete(iopRef(ns, 'canary'));
    await until('deletion waits', (i) => i.status?.status === 'ACTION_REQUIRED', 'canary');
    const stalled = condition(await get('canary'), 'Stalled');
    assert.equal(stalled?.status, 'True');
    assert.equal(stalled?.reason, 'RevisionInUse');
    assert.match(stalled?.message ?? '', new RegExp(`namespace ${app} \\(istio.io/rev=next\\)`));
    assert.match(stalled?.message ?? '', new RegExp(`pod ${app}/web \\(istio.io/rev=1-31\\)`));
    assert.match(stalled?.message ?? '', new RegExp(FORCE_DELETE_ANNOTATION));
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-1-31')), true, 'nothing deleted yet');

    // Move the workloads away: the uninstall continues by itself.
    await labelNamespace(app, 'default');
    await env.client.delete({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: app },
    });
    await gone('canary');
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-1-31')), false);
    assert.equal(await env.exists(mwcRef(`istio-revision-tag-next-${ns}`)), false);
    assert.equal(await env.exists(mwcRef(`istio-revision-tag-prod-${ns}`)), true, 'moved, kept');
    assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);
    assert.equal(await env.exists(crdRef('virtualservices.networking.istio.io')), true);
    assert.equal(healthy(await get('inplace')), true);
  });

  it('deletes a revision still in use when force-delete is annotated', async () => {
    managers.push(keepForSuite(await env.startOperator([ns], { revision: '1-32' })));
    const app = await env.namespace('pinned');
    await labelNamespace(app, '1-32');
    await env.client.apply({
      ...iopRef(ns, 'old'),
      spec: { profile: 'minimal', namespace: ns, revision: '1-32', tag: '1.30.3' },
    });
    await until('old installed', healthy, 'old');
    await env.client.delete(iopRef(ns, 'old'));
    await until('deletion waits', (i) => i.status?.status === 'ACTION_REQUIRED', 'old');
    await annotate('old', FORCE_DELETE_ANNOTATION);
    await gone('old');
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-1-32')), false);
    assert.equal(await env.exists(deploymentRef(ns, 'istiod')), true);
  });
});
