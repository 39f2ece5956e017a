import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IstioOperator } from '../../../src/api/types.js';
import {
  FORCE_DELETE_ANNOTATION,
  RESTART_OPT_OUT_ANNOTATION,
  RESTART_WORKLOADS_ANNOTATION,
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_ANNOTATION,
} from '../../../src/api/vocabulary.js';
import { ensureBinaries, pilotDiscoveryFor } from '../../../src/cluster/binaries.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { startLocalIstiod, type LocalIstiod } from '../../../src/cluster/istiod.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';
import { ownCluster } from '../../support/cluster.js';
import { configurationErrors, webApp } from '../../support/istiod.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';
import { keepForSuite } from '../../support/operator-leaks.js';
import {
  recordDeployments,
  rolloutComplete,
  type DeploymentHistory,
  type DeploymentState,
} from '../../support/rollout-history.js';

/** Both revisions run the same release: what the canary changes is the revision, not the version. */
const TAG = releaseOfMinor('1.27')?.patch ?? '';
const PROXY_IMAGE = `docker.io/istio/proxyv2:${TAG}`;
/** What the canary's restart marks each template with. */
const TARGET = `canary@${TAG}`;
/** The restart policy the canary opts into. */
const POLICY = 'batch=2,pause=4s';
/** A cold build of pilot-discovery 1.27 on a contended 2-core machine. */
const BUILD_TIMEOUT_MS = 40 * 60_000;
/** How often the proxies loop looks at pods when nothing wakes it (the operator's default is 30 s). */
const SCAN_MS = 2_000;
/** The node label the stuck Deployment's pods need: removed, its new pod cannot be scheduled. */
const SLOT_LABEL = 'restart-test.istio.io/slot';

const PODS = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true } as const;
const DEPLOYMENTS = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
} as const;
const EVENTS = { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true } as const;

/** The proxy a pod carries, as the injector left it: the revision in its status annotation and the image. */
function proxyOf(pod: k8s.V1Pod): { revision?: string; image?: string } {
  const status = pod.metadata?.annotations?.['sidecar.istio.io/status'];
  const proxy = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  return {
    ...(status ? { revision: (JSON.parse(status) as { revision?: string }).revision } : {}),
    ...(proxy?.image ? { image: proxy.image } : {}),
  };
}

/** A bare pod with the same container as {@link webApp}'s. */
function barePod(namespace: string, name: string): k8s.V1Pod {
  const template = webApp(namespace, name).spec!.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: template.metadata!.labels! },
    spec: template.spec!,
  };
}

/**
 * The restart of stale workloads (issue 27) end to end, with both istiods
 * real: a `stable` revision (1.27, its tag `prod` selecting the app
 * namespace) and a `canary` revision of the same release, each served by its
 * own pilot-discovery, so every pod is injected by the webhook of the
 * revision that selects it — before the restart by stable's istiod, after it
 * by the canary's. Moving the tag makes the namespace's pods stale for the
 * canary; the annotation makes the operator restart them, a batch at a time.
 * Its own control plane, as the other real-istiod suites: the pods here
 * would meet every webhook configuration other files left in the shared one.
 */
describe('operator: restarts the workloads still on the old revision’s proxy, in batches, both istiods real (issue 27)', function () {
  let cluster: RunningControlPlane | undefined;
  let env: OperatorEnv;
  /** The control planes' namespace (and the operator's). */
  let ns: string;
  /** The app namespace, `istio.io/rev=prod`. */
  let apps: string;
  /** The namespace of the rollout that cannot complete (step 5). */
  let late: string | undefined;
  /** The namespace whose restart loses its opt-in mid-way (step 6). */
  let third: string | undefined;
  let node: string;
  let manager: OperatorManager | undefined;
  const istiods: Record<'stable' | 'canary', LocalIstiod | undefined> = {
    stable: undefined,
    canary: undefined,
  };
  let suiteStarted = 0;
  /** The uid of each app pod as stable's istiod injected it. */
  const firstPods = new Map<string, string>();
  /** restartedAt of each Deployment the restart of step 3 left. */
  const restartedAt = new Map<string, string>();
  let history: DeploymentHistory | undefined;

  const RESTARTABLE = ['app-1', 'app-2', 'app-3', 'app-4'];
  const OPTED_OUT = 'pinned';
  const BARE = 'solo';

  const log = (line: string) => process.stderr.write(`      [restart] ${line}\n`);
  const since = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

  const getIop = (name: string) => env.getIop(ns, name);
  const proxies = async (name: string) => (await getIop(name)).status?.proxies;
  const condition = (iop: IstioOperator) =>
    iop.status?.conditions?.find((c) => c.type === 'ProxiesCurrent');
  const healthy = (name: string) =>
    waitFor(
      `${name} HEALTHY`,
      async () => {
        const i = await getIop(name);
        return (
          i.status?.status === 'HEALTHY' && i.status.observedGeneration === i.metadata.generation
        );
      },
      120_000,
      undefined,
      200,
    );
  /** Waits for `check` on the IstioOperator; on timeout fails with its status as last seen. */
  const until = async (
    what: string,
    name: string,
    check: (i: IstioOperator) => boolean,
    ms: number,
  ) => {
    let last: IstioOperator | undefined;
    await waitFor(what, async () => check((last = await getIop(name))), ms, undefined, 250).catch(
      (err: Error) => {
        throw new Error(`${err.message}; status: ${JSON.stringify(last?.status, null, 1)}`);
      },
    );
  };
  const deployment = async (namespace: string, name: string) =>
    (await env.client.get(deploymentRef(namespace, name))) as k8s.V1Deployment;
  /** The pods of a Deployment (or the bare pod) that are not going away. */
  const podsOf = async (namespace: string, app: string) =>
    (await env.client.list<k8s.V1Pod>(PODS, namespace, `app=${app}`)).filter(
      (p) => !p.metadata?.deletionTimestamp,
    );
  const rolledOut = (namespace: string, name: string, ms = 60_000) =>
    waitFor(
      `${namespace}/${name} rolled out`,
      async () => rolloutComplete(await deployment(namespace, name)),
      ms,
      undefined,
      200,
    );
  const events = async (reason: string) =>
    (await env.client.list<k8s.CoreV1Event>(EVENTS, ns)).filter(
      (e) =>
        e.reason === reason &&
        e.involvedObject.kind === 'IstioOperator' &&
        e.involvedObject.name === 'canary',
    );
  /**
   * The WorkloadRestarted Events about one workload: the first workload an
   * Event names is its subject (it may list the rest of its batch after).
   */
  const restartEvents = async (namespace: string, name: string) =>
    (await events('WorkloadRestarted')).filter((e) => {
      const subject = /\b(Deployment|StatefulSet|DaemonSet) ([\w.-]+\/[\w.-]+)/.exec(
        e.message ?? '',
      );
      return (
        subject?.[0] === `Deployment ${namespace}/${name}` && (e.message ?? '').includes(TARGET)
      );
    });
  const labelNode = (value: string | null) =>
    kubeRequest(
      env.kc,
      'PATCH',
      `/api/v1/nodes/${node}`,
      { metadata: { labels: { [SLOT_LABEL]: value } } },
      'application/merge-patch+json',
    );
  const setNamespaceLabels = (name: string, labels: Record<string, string>) =>
    env.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  /** Starts the real istiod of a revision. */
  const start = async (revision: 'stable' | 'canary') => {
    const i = await startLocalIstiod({
      kubeConfig: env.kc,
      controlPlaneDir: cluster!.dir,
      namespace: ns,
      revision,
    });
    log(
      `${i.name}: pilot-discovery ${i.binary.version} for Istio ${i.release?.version}, ` +
        `ready in ${i.readySeconds.toFixed(1)}s`,
    );
    return i;
  };
  /** Per istiod stopped, how many configuration errors its log held (printed with the suite's time). */
  const errorLines: string[] = [];
  const stopIstiod = async (i: LocalIstiod | undefined) => {
    if (!i) return;
    const errors = configurationErrors(readFileSync(i.log, 'utf8'));
    errorLines.push(
      `${i.name} ${errors.length}${errors.map((l) => `\n        ${l.slice(0, 300)}`).join('')}`,
    );
    await i.stop();
  };
  const startOperator = () => env.startOperator([ns], { proxiesScanMs: SCAN_MS });
  /**
   * Replaces the operator with a new one and watches, for a few scans, what
   * the new one does once its caches synced and its first reconciles ran.
   */
  const restartOperator = async () => {
    const t0 = Date.now();
    await manager!.stop();
    manager = undefined;
    manager = keepForSuite(await startOperator());
    await waitFor('the new operator idle', async () => manager!.isIdle(), 60_000, undefined, 100);
    // Three scans of the proxies loop: what it would restart, it would have by then.
    await new Promise((r) => setTimeout(r, 3 * SCAN_MS));
    await waitFor('the new operator idle', async () => manager!.isIdle(), 60_000, undefined, 100);
    log(`operator replaced and watched for ${since(t0)}`);
  };

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    suiteStarted = Date.now();
    assert.ok(TAG, 'the catalog carries Istio 1.27');
    // Found (or built, loudly) up front, not inside startLocalIstiod's 2-minute step.
    await ensureBinaries([pilotDiscoveryFor('1.27')!], {
      onProgress: (l) => process.stderr.write(`      [build] ${l}\n`),
    });
    cluster = await ownCluster('restart');
    env = await operatorEnv(cluster);
    node = cluster.nodes[0]!;
    ns = await env.namespace('restart');
    manager = await startOperator();
  });

  after(async function () {
    this.timeout(180_000);
    try {
      history?.stop();
    } catch {
      // A failed watch was reported by the test that read it, or does not matter now.
    }
    for (const n of [apps, late, third]) {
      if (!env || !n) continue;
      await env.client
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })
        .catch(() => {});
    }
    // Uninstall first, so no webhook configuration outlives its istiod.
    for (const name of ['canary', 'stable']) {
      if (!env) break;
      await env.client
        .mergePatch({
          ...iopRef(ns, name),
          metadata: { name, namespace: ns, annotations: { [FORCE_DELETE_ANNOTATION]: 'true' } },
        })
        .catch(() => {});
      await env.client.delete(iopRef(ns, name)).catch(() => {});
      await env.uninstalled(ns, name, 120_000).catch(() => {});
    }
    for (const i of Object.values(istiods)) await stopIstiod(i);
    await manager?.stop();
    await cluster?.stop();
    log(
      `suite took ${since(suiteStarted)}; error lines in the istiods' logs, known noise left out: ` +
        (errorLines.join(', ') || 'no istiod started'),
    );
  });

  it('stable (tag prod) injects every pod of the namespace: four Deployments, an opted-out one and a bare pod', async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    await env.client.apply({
      ...iopRef(ns, 'stable'),
      spec: {
        namespace: ns,
        profile: 'minimal',
        tag: TAG,
        revision: 'stable',
        values: { revisionTags: ['prod'] },
      },
    });
    await healthy('stable');
    istiods.stable = await start('stable');
    apps = await env.namespace('apps');
    await setNamespaceLabels(apps, { 'istio.io/rev': 'prod' });
    for (const name of RESTARTABLE) await env.client.apply(webApp(apps, name));
    const pinned = webApp(apps, OPTED_OUT);
    pinned.metadata!.annotations = { [RESTART_OPT_OUT_ANNOTATION]: 'never' };
    await env.client.apply(pinned);
    await env.client.apply(barePod(apps, BARE));
    for (const name of [...RESTARTABLE, OPTED_OUT]) await rolledOut(apps, name);
    for (const name of [...RESTARTABLE, OPTED_OUT, BARE]) {
      const pods = await podsOf(apps, name);
      assert.equal(pods.length, 1, `pods of ${name}`);
      assert.deepEqual(proxyOf(pods[0]!), { revision: 'stable', image: PROXY_IMAGE }, name);
      firstPods.set(name, pods[0]!.metadata!.uid!);
    }
    // The loop reports them current: every pod stable serves runs its proxy.
    await until(
      'stable reports its 6 pods current',
      'stable',
      (i) => i.status?.proxies?.pods === 6,
      30_000,
    );
    const stable = await getIop('stable');
    assert.deepEqual(stable.status?.proxies, {
      revision: 'stable',
      version: TAG,
      pods: 6,
      stalePods: 0,
      staleWorkloads: 0,
    });
    assert.equal(condition(stable)?.status, 'True');
    assert.equal(condition(stable)?.reason, 'Current');
    log(`step 1 (stable, its istiod, 6 injected pods) took ${since(t0)}`);
  });

  it('once the tag moves to the canary, it reports the six pods stale and restarts nothing', async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    await env.client.apply({
      ...iopRef(ns, 'canary'),
      // Uninstalled at the end even though the app pods still use it.
      metadata: {
        name: 'canary',
        namespace: ns,
        annotations: { [FORCE_DELETE_ANNOTATION]: 'true' },
      },
      spec: { namespace: ns, profile: 'minimal', tag: TAG, revision: 'canary' },
    });
    await healthy('canary');
    istiods.canary = await start('canary');
    // Both edits as one commit lands them: the new owner first, then the old.
    await env.client.mergePatch({
      ...iopRef(ns, 'canary'),
      spec: { values: { revisionTags: ['prod'] } },
    });
    await env.client.mergePatch({
      ...iopRef(ns, 'stable'),
      spec: { values: { revisionTags: null } },
    });
    await waitFor(
      'tag prod points at the canary',
      async () => {
        const tag = await env.client
          .get({
            apiVersion: 'admissionregistration.k8s.io/v1',
            kind: 'MutatingWebhookConfiguration',
            metadata: { name: `istio-revision-tag-prod-${ns}` },
          })
          .catch(() => undefined);
        return tag?.metadata?.labels?.['istio.io/rev'] === 'canary';
      },
      60_000,
      undefined,
      200,
    );
    await healthy('canary');
    await healthy('stable');
    await until(
      'the canary reports the namespace stale',
      'canary',
      (i) => i.status?.proxies?.staleWorkloads === 6,
      30_000,
    );
    const canary = await getIop('canary');
    const listed = (name: string) => ({
      namespace: apps,
      kind: 'Deployment',
      name,
      pods: 1,
      stalePods: 1,
      from: `stable@${TAG}`,
      to: TARGET,
    });
    // Report order (namespace, kind, name): the five Deployments, then the
    // bare pod, which the first five leave out.
    assert.deepEqual(canary.status?.proxies, {
      revision: 'canary',
      version: TAG,
      pods: 6,
      stalePods: 6,
      staleWorkloads: 6,
      workloads: [...RESTARTABLE, OPTED_OUT].map(listed),
    });
    assert.equal(condition(canary)?.status, 'False');
    assert.equal(condition(canary)?.reason, 'StaleProxies');
    await until(
      'stable serves nothing now',
      'stable',
      (i) => i.status?.proxies?.pods === 0,
      30_000,
    );
    // Reporting never acts: no template marked, every pod the one stable injected.
    for (const name of [...RESTARTABLE, OPTED_OUT]) {
      const annotations = (await deployment(apps, name)).spec?.template.metadata?.annotations ?? {};
      assert.equal(annotations[RESTARTED_FOR_ANNOTATION], undefined, name);
      assert.equal(annotations[RESTARTED_AT_ANNOTATION], undefined, name);
    }
    for (const name of [...RESTARTABLE, OPTED_OUT, BARE]) {
      const pods = await podsOf(apps, name);
      assert.deepEqual(
        pods.map((p) => p.metadata?.uid),
        [firstPods.get(name)],
        name,
      );
    }
    assert.deepEqual(await events('WorkloadRestarted'), []);
    log(`step 2 (canary, its istiod, the tag moved, 6 stale) took ${since(t0)}`);
  });

  it(`restarts the four restartable Deployments (${POLICY}) in report order, a batch once the last completed, and leaves the opted-out one and the bare pod`, async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    history = await recordDeployments(env.client, apps);
    for (const s of history.states) assert.equal(s.template[RESTARTED_FOR_ANNOTATION], undefined);
    await env.client.mergePatch({
      ...iopRef(ns, 'canary'),
      metadata: {
        name: 'canary',
        namespace: ns,
        annotations: { [RESTART_WORKLOADS_ANNOTATION]: POLICY },
      },
    });
    const phases: string[] = [];
    await until(
      'the restart Done',
      'canary',
      (i) => {
        const phase = i.status?.proxies?.restart?.phase;
        if (phase && phases.at(-1) !== phase) phases.push(phase);
        return phase === 'Done';
      },
      120_000,
    );
    const took = since(t0);
    history.stop();
    const states = history.states;
    history = undefined;

    // When each template got the marker and when its rollout then completed, in the server's order.
    const marked = new Map<string, DeploymentState>();
    const completed = new Map<string, DeploymentState>();
    const latest = new Map<string, DeploymentState>();
    let most = 0;
    /** The batch-1 rollouts as they stood when batch 2's first template was marked. */
    let batch1AtBatch2: DeploymentState[] | undefined;
    for (const s of states) {
      latest.set(s.name, s);
      if (s.template[RESTARTED_FOR_ANNOTATION] !== undefined && !marked.has(s.name)) {
        marked.set(s.name, s);
        if (['app-3', 'app-4'].includes(s.name) && !batch1AtBatch2) {
          batch1AtBatch2 = ['app-1', 'app-2'].map((n) => latest.get(n)!);
        }
      }
      if (marked.has(s.name) && !completed.has(s.name) && s.complete) completed.set(s.name, s);
      const inFlight = [...marked.keys()].filter((n) => !completed.has(n)).length;
      most = Math.max(most, inFlight);
    }
    const rel = (s?: DeploymentState) => (s ? `${((s.at - t0) / 1000).toFixed(1)}s` : '-');
    log(
      `step 3: Done after ${took}; phases ${phases.join(' → ')}; ` +
        RESTARTABLE.map(
          (n) => `${n} marked ${rel(marked.get(n))} complete ${rel(completed.get(n))}`,
        ).join(', '),
    );

    assert.deepEqual([...marked.keys()].sort(), RESTARTABLE, 'the templates marked');
    const order = [...marked.values()].sort((a, b) => a.seq - b.seq).map((s) => s.name);
    assert.deepEqual(
      [order.slice(0, 2).sort(), order.slice(2).sort()],
      [
        ['app-1', 'app-2'],
        ['app-3', 'app-4'],
      ],
      `marked in the order ${order.join(', ')}`,
    );
    assert.ok(most <= 2, `${most} rollouts were in flight at once`);
    assert.deepEqual(
      batch1AtBatch2?.map((s) => ({ name: s.name, complete: s.complete })),
      [
        { name: 'app-1', complete: true },
        { name: 'app-2', complete: true },
      ],
      'batch 1 had completed when batch 2 was marked',
    );
    const batch1Done = Math.max(...['app-1', 'app-2'].map((n) => completed.get(n)!.at));
    const batch2Marked = Math.min(...['app-3', 'app-4'].map((n) => marked.get(n)!.at));
    // The 4 s pause, less what watching may add to when a completion is seen;
    // without a pause the next look (every 2 s while rolling out) would start it.
    assert.ok(
      batch2Marked - batch1Done >= 3_500,
      `batch 2 marked ${batch2Marked - batch1Done} ms after batch 1 completed (pause=4s)`,
    );
    for (const name of RESTARTABLE) {
      assert.ok(completed.has(name), `${name}'s rollout completed`);
      const d = await deployment(apps, name);
      const annotations = d.spec?.template.metadata?.annotations ?? {};
      assert.equal(annotations[RESTARTED_FOR_ANNOTATION], TARGET, name);
      assert.ok(annotations[RESTARTED_AT_ANNOTATION], `${name} has restartedAt`);
      restartedAt.set(name, annotations[RESTARTED_AT_ANNOTATION]!);
      const pods = await podsOf(apps, name);
      assert.equal(pods.length, 1, `pods of ${name}`);
      assert.notEqual(pods[0]!.metadata?.uid, firstPods.get(name), `${name}'s pod was replaced`);
      assert.deepEqual(proxyOf(pods[0]!), { revision: 'canary', image: PROXY_IMAGE }, name);
    }
    // The opted-out Deployment and the bare pod: untouched, still stable's.
    const pinned = await deployment(apps, OPTED_OUT);
    assert.equal(
      pinned.spec?.template.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION],
      undefined,
    );
    assert.equal(pinned.spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION], undefined);
    assert.ok(!marked.has(OPTED_OUT));
    for (const name of [OPTED_OUT, BARE]) {
      const pods = await podsOf(apps, name);
      assert.deepEqual(
        pods.map((p) => [p.metadata?.uid, proxyOf(p).revision]),
        [[firstPods.get(name), 'stable']],
        name,
      );
    }
    const canary = await getIop('canary');
    const p = canary.status?.proxies;
    assert.equal(p?.stalePods, 2, 'the opted-out pod and the bare pod are still stale');
    assert.equal(p?.staleWorkloads, 2);
    assert.deepEqual(
      {
        phase: p?.restart?.phase,
        policy: p?.restart?.policy,
        target: p?.restart?.target,
        restarted: p?.restart?.restarted,
        inFlight: p?.restart?.inFlight,
      },
      { phase: 'Done', policy: POLICY, target: TARGET, restarted: 4, inFlight: undefined },
    );
    assert.match(p?.restart?.message ?? '', /1 bare pod/);
    assert.match(p?.restart?.message ?? '', /1 opted-out workload/);
    // Events go out in the background: wait for the four, then count each.
    await waitFor(
      'four WorkloadRestarted Events',
      async () => (await events('WorkloadRestarted')).length >= 4,
      15_000,
      undefined,
      200,
    );
    assert.equal((await events('WorkloadRestarted')).length, 4);
    for (const name of RESTARTABLE) {
      assert.equal((await restartEvents(apps, name)).length, 1, `one Event for ${name}`);
    }
    log(`step 3 took ${since(t0)}`);
  });

  it('a new operator restarts nothing again', async function () {
    this.timeout(180_000);
    const t0 = Date.now();
    history = await recordDeployments(env.client, apps);
    const seen = history.states.length;
    await restartOperator();
    history.stop();
    const changed = history.states
      .slice(seen)
      .filter(
        (s) =>
          s.template[RESTARTED_AT_ANNOTATION] !== restartedAt.get(s.name) ||
          s.template[RESTARTED_FOR_ANNOTATION] !== (restartedAt.has(s.name) ? TARGET : undefined),
      );
    history = undefined;
    assert.deepEqual(
      changed.map((s) => `${s.name} ${JSON.stringify(s.template)}`),
      [],
      'templates changed',
    );
    for (const name of RESTARTABLE) {
      const annotations = (await deployment(apps, name)).spec?.template.metadata?.annotations ?? {};
      assert.equal(annotations[RESTARTED_AT_ANNOTATION], restartedAt.get(name), name);
    }
    const restart = (await proxies('canary'))?.restart;
    assert.equal(restart?.phase, 'Done');
    assert.equal(restart?.restarted, 4);
    assert.equal((await events('WorkloadRestarted')).length, 4);
    log(`step 4 took ${since(t0)}`);
  });

  it('stops on a rollout that cannot complete, leaves the next batch, restarts nothing twice after an operator restart, and goes on by itself once it can', async function () {
    this.timeout(300_000);
    const t0 = Date.now();
    // A namespace on stable's own revision: a-ok, b-stuck (whose pods need
    // the node label) and c-next, all three stale once it moves to the canary.
    await labelNode('true');
    late = await env.namespace('late');
    await setNamespaceLabels(late, { 'istio.io/rev': 'stable' });
    const stuck = webApp(late, 'b-stuck');
    stuck.spec!.progressDeadlineSeconds = 10;
    stuck.spec!.template.spec!.nodeSelector = { [SLOT_LABEL]: 'true' };
    for (const d of [webApp(late, 'a-ok'), stuck, webApp(late, 'c-next')]) {
      await env.client.apply(d);
    }
    const lateBefore = new Map<string, string>();
    for (const name of ['a-ok', 'b-stuck', 'c-next']) {
      await rolledOut(late, name);
      const pods = await podsOf(late, name);
      assert.equal(pods.length, 1, `pods of ${name}`);
      assert.deepEqual(proxyOf(pods[0]!), { revision: 'stable', image: PROXY_IMAGE }, name);
      lateBefore.set(name, pods[0]!.metadata!.uid!);
    }
    // Running pods stay; a new one of b-stuck can no longer be scheduled.
    await labelNode(null);
    history = await recordDeployments(env.client, late);
    await setNamespaceLabels(late, { 'istio.io/rev': 'canary' });
    await until(
      'the restart Stopped',
      'canary',
      (i) => i.status?.proxies?.restart?.phase === 'Stopped',
      90_000,
    );
    log(`step 5: Stopped after ${since(t0)}`);
    let canary = await getIop('canary');
    const restart = canary.status?.proxies?.restart;
    assert.match(restart?.message ?? '', new RegExp(`Deployment ${late}/b-stuck`));
    assert.equal(restart?.restarted, 6, 'a-ok and b-stuck restarted, as one batch');
    assert.equal(condition(canary)?.status, 'False');
    assert.equal(condition(canary)?.reason, 'RestartStopped');
    await waitFor(
      'a RestartStopped Event',
      async () =>
        (await events('RestartStopped')).some((e) =>
          (e.message ?? '').includes(`Deployment ${late}/b-stuck`),
        ),
      15_000,
      undefined,
      200,
    );
    assert.ok(
      (await events('RestartStopped')).every((e) => e.type === 'Warning'),
      'RestartStopped is a Warning',
    );
    const template = async (name: string) =>
      (await deployment(late!, name)).spec?.template.metadata?.annotations ?? {};
    assert.equal((await template('a-ok'))[RESTARTED_FOR_ANNOTATION], TARGET);
    assert.equal((await template('b-stuck'))[RESTARTED_FOR_ANNOTATION], TARGET);
    assert.equal((await template('c-next'))[RESTARTED_FOR_ANNOTATION], undefined, 'c-next marked');
    const stuckAt = (await template('b-stuck'))[RESTARTED_AT_ANNOTATION];
    assert.ok(stuckAt);
    assert.deepEqual(
      (await podsOf(late, 'c-next')).map((p) => p.metadata?.uid),
      [lateBefore.get('c-next')],
    );

    // While stopped, b-stuck is marked and still stale: a new operator must not restart it again.
    await restartOperator();
    assert.equal((await template('b-stuck'))[RESTARTED_AT_ANNOTATION], stuckAt);
    assert.equal((await template('c-next'))[RESTARTED_FOR_ANNOTATION], undefined, 'c-next marked');
    assert.equal((await proxies('canary'))?.restart?.phase, 'Stopped');

    // The node takes b-stuck's new pod again: its rollout completes, the restart goes on.
    const fixed = Date.now();
    await labelNode('true');
    await until(
      'the restart Done again',
      'canary',
      (i) => i.status?.proxies?.restart?.phase === 'Done',
      90_000,
    );
    log(`step 5: Done ${since(fixed)} after the node took b-stuck's pod again`);
    history.stop();
    const states = history.states;
    history = undefined;
    canary = await getIop('canary');
    assert.equal(canary.status?.proxies?.restart?.restarted, 7);
    for (const name of ['a-ok', 'b-stuck', 'c-next']) {
      assert.equal((await template(name))[RESTARTED_FOR_ANNOTATION], TARGET, name);
      assert.ok(rolloutComplete(await deployment(late, name)), `${name} rolled out`);
      const pods = await podsOf(late, name);
      assert.equal(pods.length, 1, `pods of ${name}`);
      assert.notEqual(pods[0]!.metadata?.uid, lateBefore.get(name), `${name}'s pod was replaced`);
      assert.deepEqual(proxyOf(pods[0]!), { revision: 'canary', image: PROXY_IMAGE }, name);
    }
    assert.equal((await template('b-stuck'))[RESTARTED_AT_ANNOTATION], stuckAt, 'b-stuck twice');
    // c-next only after b-stuck completed, in the server's order.
    const firstMarked = states.find(
      (s) => s.name === 'c-next' && s.template[RESTARTED_FOR_ANNOTATION] === TARGET,
    );
    const stuckDone = states.find(
      (s) => s.name === 'b-stuck' && s.complete && s.template[RESTARTED_FOR_ANNOTATION] === TARGET,
    );
    assert.ok(
      firstMarked && stuckDone && stuckDone.seq < firstMarked.seq,
      'c-next marked only after b-stuck completed',
    );
    await waitFor(
      'seven WorkloadRestarted Events',
      async () => (await events('WorkloadRestarted')).length >= 7,
      15_000,
      undefined,
      200,
    );
    for (const name of ['a-ok', 'b-stuck', 'c-next']) {
      assert.equal((await restartEvents(late, name)).length, 1, `one Event for ${name}`);
    }
    log(`step 5 took ${since(t0)}`);
  });

  it('stops before the next batch when the opt-in is removed mid-way, and says the pods are stale again', async function () {
    this.timeout(180_000);
    const t0 = Date.now();
    third = await env.namespace('third');
    await setNamespaceLabels(third, { 'istio.io/rev': 'stable' });
    const names = ['x-1', 'x-2', 'x-3'];
    for (const name of names) await env.client.apply(webApp(third, name));
    for (const name of names) await rolledOut(third, name);
    // One a batch, and a pause long enough to take the opt-in away in.
    await env.client.mergePatch({
      ...iopRef(ns, 'canary'),
      metadata: {
        name: 'canary',
        namespace: ns,
        annotations: { [RESTART_WORKLOADS_ANNOTATION]: 'batch=1,pause=8s' },
      },
    });
    await setNamespaceLabels(third, { 'istio.io/rev': 'canary' });
    const template = async (name: string) =>
      (await deployment(third!, name)).spec?.template.metadata?.annotations ?? {};
    // Step 5's last batch may still hold a pause: x-1 first, then the pause after it.
    await waitFor(
      'x-1 restarted',
      async () => (await template('x-1'))[RESTARTED_FOR_ANNOTATION] === TARGET,
      60_000,
      undefined,
      200,
    );
    await until(
      'x-1 rolled out and the pause begun',
      'canary',
      (i) =>
        i.status?.proxies?.restart?.phase === 'Paused' &&
        !i.status.proxies.restart.inFlight?.length,
      60_000,
    );
    await env.client.mergePatch({
      ...iopRef(ns, 'canary'),
      metadata: {
        name: 'canary',
        namespace: ns,
        annotations: { [RESTART_WORKLOADS_ANNOTATION]: null },
      },
    } as unknown as k8s.KubernetesObject);
    await until(
      'the restart gone from status',
      'canary',
      (i) => i.status?.proxies !== undefined && i.status.proxies.restart === undefined,
      30_000,
    );
    // Past the pause and a few scans: nothing more is restarted.
    await new Promise((r) => setTimeout(r, 8_000 + 3 * SCAN_MS));
    assert.equal((await template('x-2'))[RESTARTED_FOR_ANNOTATION], undefined, 'x-2 marked');
    assert.equal((await template('x-3'))[RESTARTED_FOR_ANNOTATION], undefined, 'x-3 marked');
    const canary = await getIop('canary');
    // x-2 and x-3 still stale, beside step 3's opted-out Deployment and bare pod; x-1 current.
    assert.deepEqual(
      canary.status?.proxies?.workloads?.map(
        (w) => `${w.namespace === third ? 'third' : 'apps'}/${w.name}`,
      ),
      ['apps/pinned', 'apps/solo', 'third/x-2', 'third/x-3'],
    );
    assert.equal(canary.status?.proxies?.stalePods, 4);
    assert.equal(canary.status?.proxies?.restart, undefined);
    assert.equal(condition(canary)?.reason, 'StaleProxies');
    log(`step 6 took ${since(t0)}`);
  });

  it('uninstalls stable without force once its last users are gone (no RevisionInUse)', async function () {
    this.timeout(180_000);
    const t0 = Date.now();
    await env.client.delete(deploymentRef(apps, OPTED_OUT));
    await env.client.delete({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: BARE, namespace: apps },
    });
    for (const name of [late!, third!]) {
      await env.client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    // What the uninstall counts as users: pods labelled with the revision, outside its own.
    await waitFor(
      'no app pod on stable',
      async () =>
        (await env.client.list<k8s.V1Pod>(PODS, undefined, 'istio.io/rev=stable')).filter(
          (p) => p.metadata?.namespace !== ns && !p.metadata?.deletionTimestamp,
        ).length === 0,
      60_000,
      undefined,
      200,
    );
    const stable = await getIop('stable');
    assert.equal(stable.metadata.annotations?.[FORCE_DELETE_ANNOTATION], undefined);
    await env.client.delete(iopRef(ns, 'stable'));
    await env.uninstalled(ns, 'stable', 90_000);
    const inUse = (await env.client.list<k8s.CoreV1Event>(EVENTS, ns)).filter(
      (e) => e.reason === 'RevisionInUse' && e.involvedObject.name === 'stable',
    );
    assert.deepEqual(
      inUse.map((e) => e.message),
      [],
    );
    assert.equal(await env.exists(deploymentRef(ns, 'istiod-stable')), false);
    await stopIstiod(istiods.stable);
    istiods.stable = undefined;
    // The canary's app pods are all its own now.
    const left = (await env.client.list<k8s.V1Deployment>(DEPLOYMENTS, apps)).filter(
      (d) => !d.metadata?.deletionTimestamp,
    );
    assert.deepEqual(left.map((d) => d.metadata?.name).sort(), RESTARTABLE);
    log(`step 7 took ${since(t0)}`);
  });
});
