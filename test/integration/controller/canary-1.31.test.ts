import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FORCE_DELETE_ANNOTATION } from '../../../src/api/vocabulary.js';
import { ensureBinaries, istioctlFor, pilotDiscoveryFor } from '../../../src/cluster/binaries.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { startLocalIstiod, type LocalIstiod } from '../../../src/cluster/istiod.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { ownCluster } from '../../support/cluster.js';
import { configurationErrors, injectedLikeKubeInject, webApp } from '../../support/istiod.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/** The stable control plane's release and the canary's: two lines, each with a real istiod. */
const STABLE = '1.30.8';
const CANARY = '1.31.4';
/** A cold build of both lines' pilot-discovery and istioctl on a contended 2-core machine. */
const BUILD_TIMEOUT_MS = 60 * 60_000;

/**
 * A canary upgrade across lines with both istiods real: one operator (every
 * revision), a 1.30 control plane on the default revision and a 1.31 canary
 * (`revision: canary`), each istiod the pilot-discovery of its own line.
 * Workloads choose by namespace label: `istio.io/rev=canary` gets the 1.31
 * proxy, `istio-injection=enabled` stays on 1.30 — each pod equal to what
 * that line's istioctl kube-inject makes with that revision's ConfigMaps.
 * Its own control plane: pods in injection-labelled namespaces would meet
 * every webhook configuration the shared cluster's other tests left there.
 */
describe(`operator: a ${STABLE} control plane and a ${CANARY} canary, both istiods real`, function () {
  let cluster: RunningControlPlane | undefined;
  let env: OperatorEnv;
  let ns: string;
  let manager: OperatorManager | undefined;
  const istiods: Record<'stable' | 'canary', LocalIstiod | undefined> = {
    stable: undefined,
    canary: undefined,
  };
  const istioctl: Record<string, string> = {};
  let suiteStarted = 0;

  const iop = (name: string, spec: Record<string, unknown>) => ({
    ...iopRef(ns, name),
    // Uninstall at the end even though this test's pods still use the revisions.
    metadata: { name, namespace: ns, annotations: { [FORCE_DELETE_ANNOTATION]: 'true' } },
    spec: { namespace: ns, ...spec },
  });
  const healthy = (name: string) =>
    waitFor(
      `${name} HEALTHY`,
      async () => {
        const i = await env.getIop(ns, name);
        return (
          i.status?.status === 'HEALTHY' && i.status.observedGeneration === i.metadata.generation
        );
      },
      120_000,
      undefined,
      200,
    );
  const appNamespace = async (prefix: string, labels: Record<string, string>) => {
    const name = await env.namespace(prefix);
    await env.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    return name;
  };
  /** Starts the real istiod of a revision (its line's pilot-discovery, chosen from the Deployment). */
  const start = async (revision: string) => {
    const i = await startLocalIstiod({
      kubeConfig: env.kc,
      controlPlaneDir: cluster!.dir,
      namespace: ns,
      revision,
    });
    process.stderr.write(
      `      [canary] ${i.name}: pilot-discovery ${i.binary.version} for Istio ${i.release?.version}, ` +
        `ready ${i.readySeconds.toFixed(1)}s after startLocalIstiod was called\n`,
    );
    return i;
  };

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    suiteStarted = Date.now();
    const progress = (l: string) => process.stderr.write(`      [build] ${l}\n`);
    // Found (or built, loudly) up front, not inside startLocalIstiod's 2-minute step.
    const lines = ['1.30', '1.31'];
    const bins = await ensureBinaries(
      lines.flatMap((l) => [pilotDiscoveryFor(l)!, istioctlFor(l)!]),
      { onProgress: progress },
    );
    for (const l of lines) istioctl[l] = bins[istioctlFor(l)!];
    cluster = await ownCluster('canary');
    env = await operatorEnv(cluster);
    ns = await env.namespace('canary');
    // One operator, no --revision: it reconciles both, each from its own line.
    manager = await env.startOperator([ns]);
  });

  after(async function () {
    this.timeout(180_000);
    // Uninstall first, so no webhook configuration outlives its istiod.
    for (const name of ['canary', 'stable']) {
      if (!env) break;
      await env.client.delete(iopRef(ns, name)).catch(() => {});
      await env.uninstalled(ns, name, 120_000).catch(() => {});
    }
    for (const i of Object.values(istiods)) await i?.stop();
    await manager?.stop();
    await cluster?.stop();
    process.stderr.write(
      `      [canary] suite took ${((Date.now() - suiteStarted) / 1000).toFixed(0)}s\n`,
    );
  });

  it(`runs the ${STABLE} control plane's istiod as pilot-discovery 1.30`, async function () {
    this.timeout(240_000);
    await env.client.apply(iop('stable', { profile: 'default', tag: STABLE }));
    await healthy('stable');
    const i = (istiods.stable = await start(''));
    assert.deepEqual(
      { release: i.release, binary: i.binary.name },
      {
        release: { version: STABLE, line: '1.30', source: 'label' },
        binary: 'pilot-discovery-1.30',
      },
    );
  });

  it(`adds a ${CANARY} canary whose istiod is pilot-discovery 1.31, beside the 1.30 one`, async function () {
    this.timeout(240_000);
    // As docs/upgrades.md says: the minimal profile (istiod and Base; the
    // canary is the newer line, so the shared CRDs become 1.31's).
    await env.client.apply(iop('canary', { profile: 'minimal', tag: CANARY, revision: 'canary' }));
    await healthy('canary');
    assert.ok(await env.exists(deploymentRef(ns, 'istiod-canary')));
    const i = (istiods.canary = await start('canary'));
    assert.deepEqual(
      { release: i.release, binary: i.binary.name },
      {
        release: { version: CANARY, line: '1.31', source: 'label' },
        binary: 'pilot-discovery-1.31',
      },
    );
    assert.notDeepEqual(i.ports, istiods.stable!.ports);
  });

  /** The pod the revision's webhook injected, checked against its line's istioctl kube-inject. */
  const injected = async (labels: Record<string, string>, revision: string, line: string) => {
    const appNs = await appNamespace(revision || 'stable', labels);
    const d = webApp(appNs, 'web');
    const pod = await injectedLikeKubeInject({
      istioctl: istioctl[line]!,
      kc: env.kc,
      client: env.client,
      istioNamespace: ns,
      revision,
      deployment: d,
    });
    const proxy = pod.spec!.containers.find((c) => c.name === 'istio-proxy')!;
    return { pod, proxy };
  };

  it(`injects the ${CANARY} proxy into an istio.io/rev=canary namespace, as istioctl 1.31 kube-inject does`, async () => {
    const { pod, proxy } = await injected({ 'istio.io/rev': 'canary' }, 'canary', '1.31');
    assert.equal(proxy.image, `docker.io/istio/proxyv2:${CANARY}`);
    assert.equal(pod.metadata?.annotations?.['istio.io/rev'], 'canary');
    assert.equal(
      proxy.env?.find((e) => e.name === 'CA_ADDR')?.value,
      `istiod-canary.${ns}.svc:15012`,
    );
  });

  it(`keeps an istio-injection=enabled namespace on ${STABLE}, as istioctl 1.30 kube-inject does`, async () => {
    const { pod, proxy } = await injected({ 'istio-injection': 'enabled' }, '', '1.30');
    assert.equal(proxy.image, `docker.io/istio/proxyv2:${STABLE}`);
    assert.equal(pod.metadata?.annotations?.['istio.io/rev'], 'default');
    assert.equal(proxy.env?.find((e) => e.name === 'CA_ADDR')?.value, `istiod.${ns}.svc:15012`);
  });

  it('leaves no configuration error in either istiod’s log', () => {
    for (const i of Object.values(istiods)) {
      assert.deepEqual(
        configurationErrors(readFileSync(i!.log, 'utf8')),
        [],
        `errors in ${i!.log}`,
      );
    }
  });
});
