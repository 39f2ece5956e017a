import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../../../src/api/types.js';
import type { WorkloadRow } from '../../../src/cli/workloads-table.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { render } from '../../../src/controller/desired.js';
import type { K8sObject } from '../../../src/render/object.js';
import { runCli } from '../../support/cli.js';
import { useCluster } from '../../support/cluster.js';
import { iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

const PROXY = 'docker.io/istio/proxyv2';

/**
 * A Deployment whose pods look injected by `rev` at `version` (or not at
 * all): the template carries what the injector leaves on a pod, so the
 * controllers (Deployment → ReplicaSet → pods, kwok runs them) give real
 * owner chains and pod-template-hash labels. No istiod is involved.
 */
function deployment(
  namespace: string,
  name: string,
  injected?: { rev: string; version: string },
  labels: Record<string, string> = {},
): KubernetesObject {
  const spec = podSpec(injected);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: {
          labels: { app: name, ...labels, ...spec.labels },
          annotations: spec.annotations,
        },
        spec: spec.spec,
      },
    },
  } as KubernetesObject;
}

function podSpec(injected?: { rev: string; version: string }) {
  const containers = [{ name: 'app', image: 'example.com/app:1' }];
  if (!injected) return { labels: {}, annotations: {}, spec: { containers } };
  return {
    labels: { 'istio.io/rev': injected.rev },
    annotations: {
      'sidecar.istio.io/status': JSON.stringify({
        initContainers: ['istio-init'],
        containers: ['istio-proxy'],
        revision: injected.rev,
      }),
    },
    spec: {
      containers: [...containers, { name: 'istio-proxy', image: `${PROXY}:${injected.version}` }],
    },
  };
}

/** A bare pod injected by `rev` at `version`. */
function barePod(namespace: string, name: string, rev: string, version: string): KubernetesObject {
  const s = podSpec({ rev, version });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: s.labels, annotations: s.annotations },
    spec: s.spec,
  } as KubernetesObject;
}

describe('cli: istio-operator workloads lists the workloads still on an old proxy', function () {
  this.timeout(240_000);
  let cp: RunningControlPlane;
  let env: OperatorEnv;
  const s = randomBytes(3).toString('hex');
  const inplaceRev = `wi-${s}`;
  const stableRev = `wa-${s}`;
  const canaryRev = `wb-${s}`;
  const tag = `wt-${s}`;
  let istioNs: string;
  let inplaceNs: string;
  let canaryNs: string;
  let plainNs: string;
  const webhooks: K8sObject[] = [];
  const ours = () => new Set([inplaceNs, canaryNs, plainNs]);

  async function workloads(): Promise<WorkloadRow[]> {
    const r = await runCli(['workloads', '--kubeconfig', cp.kubeconfig, '-o', 'json'], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as WorkloadRow[]).filter((w) => ours().has(w.namespace));
  }

  const brief = (rows: WorkloadRow[]) =>
    rows
      .map(
        (r) =>
          `${r.istioOperator.split('/')[1]} ${r.namespace.split('-')[0]}/${r.kind}/${r.workload} ${r.pods} ` +
          `${r.currentRevision}@${r.currentVersion} -> ${r.wantedRevision}@${r.wantedVersion}`,
      )
      .sort();

  before(async () => {
    cp = await useCluster();
    env = await operatorEnv(cp);
    istioNs = await env.namespace('wl-istio');
    const iop = (name: string, spec: Record<string, unknown>): IstioOperator =>
      ({ ...iopRef(istioNs, name), spec: { profile: 'minimal', ...spec } }) as IstioOperator;
    const iops = [
      iop('inplace', { revision: inplaceRev, tag: '1.27.1' }),
      iop('stable', { revision: stableRev, tag: '1.27.0' }),
      iop('canary', { revision: canaryRev, tag: '1.27.2', values: { revisionTags: [tag] } }),
    ];
    // The injectors as the operator renders them, failing open: no istiod
    // runs, so the API server's call fails and the pod is created as sent.
    for (const i of iops) {
      for (const o of render(i, iops).objects) {
        if (o.kind !== 'MutatingWebhookConfiguration') continue;
        const hooks = (o.webhooks as Record<string, unknown>[]).map((w) => ({
          ...w,
          failurePolicy: 'Ignore',
          timeoutSeconds: 1,
        }));
        webhooks.push({ ...o, webhooks: hooks });
      }
      await env.client.apply(i as unknown as KubernetesObject);
    }
    for (const w of webhooks) await env.client.apply(w);
    inplaceNs = await env.namespace('inplace');
    canaryNs = await env.namespace('canary');
    plainNs = await env.namespace('plain');
    const label = async (ns: string, rev: string) =>
      await env.client.apply({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { 'istio.io/rev': rev } },
      });
    await label(inplaceNs, inplaceRev);
    await label(canaryNs, tag);
    const objects = [
      // In place: same revision, the IstioOperator now asks for 1.27.1.
      deployment(inplaceNs, 'old', { rev: inplaceRev, version: '1.27.0' }),
      deployment(inplaceNs, 'new', { rev: inplaceRev, version: '1.27.1' }),
      deployment(inplaceNs, 'optout', undefined, { 'sidecar.istio.io/inject': 'false' }),
      // Canary: the namespace names tag wt (on the canary), pods still on stable.
      deployment(canaryNs, 'web', { rev: stableRev, version: '1.27.0' }),
      barePod(canaryNs, 'bare', stableRev, '1.27.0'),
      barePod(canaryNs, 'moved', canaryRev, '1.27.2'),
      // Not injected: no labels, an old proxy nobody asked for.
      deployment(plainNs, 'app'),
    ];
    for (const o of objects) await env.client.apply(o);
    await waitFor(
      "the Deployments' pods exist",
      async () => {
        const pods = await Promise.all(
          [inplaceNs, canaryNs, plainNs].map((ns) =>
            env.client.list(
              { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
              ns,
            ),
          ),
        );
        return pods.flat().length === 7;
      },
      60_000,
      undefined,
      250,
    );
  });

  after(async () => {
    for (const w of webhooks) await env.client.delete(w).catch(() => undefined);
    for (const ns of [inplaceNs, canaryNs, plainNs, istioNs]) {
      if (ns)
        await env.client
          .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
          .catch(() => undefined);
    }
  });

  it('in place (old version) and canary (tag moved) workloads, nothing opted out or not injected', async () => {
    assert.deepEqual(brief(await workloads()), [
      `canary canary/Deployment/web 1/1 ${stableRev}@1.27.0 -> ${canaryRev}@1.27.2`,
      `canary canary/Pod/bare 1/1 ${stableRev}@1.27.0 -> ${canaryRev}@1.27.2`,
      `inplace inplace/Deployment/old 1/1 ${inplaceRev}@1.27.0 -> ${inplaceRev}@1.27.1`,
    ]);
    const table = await runCli(['workloads', '--kubeconfig', cp.kubeconfig, '-n', istioNs]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      new RegExp(
        `^${istioNs}/inplace: 1 of 2 pod\\(s\\) in 1 workload\\(s\\) do not run ${inplaceRev}@1\\.27\\.1$`,
        'm',
      ),
    );
    assert.match(
      table.stdout,
      new RegExp(
        `^${istioNs}/canary: 2 of 3 pod\\(s\\) in 2 workload\\(s\\) do not run ${canaryRev}@1\\.27\\.2$`,
        'm',
      ),
    );
    assert.match(table.stdout, new RegExp(`^${istioNs}/stable: all 0 pod\\(s\\)`, 'm'));
    assert.match(
      table.stdout,
      new RegExp(
        `^${istioNs}/inplace\\s+${inplaceNs}\\s+old\\s+Deployment\\s+1/1\\s+${inplaceRev} -> ${inplaceRev}\\s+1\\.27\\.0 -> 1\\.27\\.1$`,
        'm',
      ),
    );
  });

  it('istio-operator status counts the stale workloads per IstioOperator', async () => {
    const r = await runCli(['status', '--kubeconfig', cp.kubeconfig, '-n', istioNs]);
    assert.equal(r.code, 0, r.stderr);
    const note = (name: string, stale: number, pods: number, workloads: number) =>
      new RegExp(
        `^${istioNs}/${name}: ${stale} of ${pods} pod\\(s\\) in ${workloads} workload\\(s\\) still run an old proxy ` +
          `\\(restart them; list them with: istio-operator workloads -n ${istioNs} ${name}\\)$`,
        'm',
      );
    assert.match(r.stdout, note('inplace', 1, 2, 1));
    assert.match(r.stdout, note('canary', 2, 3, 2));
    assert.doesNotMatch(r.stdout, new RegExp(`^${istioNs}/stable: .*old proxy`, 'm'));
    const json = await runCli([
      'status',
      '--kubeconfig',
      cp.kubeconfig,
      '-n',
      istioNs,
      '-o',
      'json',
    ]);
    const rows = JSON.parse(json.stdout) as { name: string; proxies?: unknown }[];
    assert.deepEqual(rows.find((x) => x.name === 'canary')?.proxies, {
      pods: 3,
      stalePods: 2,
      staleWorkloads: 2,
    });
  });

  it('canary: the namespace label moved back to stable — the canary-injected pod is the stale one now', async () => {
    await env.client.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: canaryNs, labels: { 'istio.io/rev': stableRev } },
    });
    assert.deepEqual(brief(await workloads()), [
      `inplace inplace/Deployment/old 1/1 ${inplaceRev}@1.27.0 -> ${inplaceRev}@1.27.1`,
      `stable canary/Pod/moved 1/1 ${canaryRev}@1.27.2 -> ${stableRev}@1.27.0`,
    ]);
  });

  it('the operator reports them too: status.proxies, the ProxiesCurrent condition and the stale-pods gauge', async function () {
    this.timeout(180_000);
    // The label moved back (above): inplace has 1 stale pod of 2, stable 1 of 2 (the moved pod).
    const manager = await env.startOperator([istioNs], { proxiesScanMs: 1_000 });
    try {
      const proxiesOf = async (name: string) => (await env.getIop(istioNs, name)).status?.proxies;
      await waitFor(
        'status.proxies of every IstioOperator',
        async () => {
          const all = await Promise.all(['inplace', 'stable', 'canary'].map(proxiesOf));
          return all.every((p) => p !== undefined);
        },
        120_000,
        undefined,
        250,
      );
      const inplace = await env.getIop(istioNs, 'inplace');
      assert.deepEqual(inplace.status?.proxies, {
        revision: inplaceRev,
        version: '1.27.1',
        pods: 2,
        stalePods: 1,
        staleWorkloads: 1,
        workloads: [
          {
            namespace: inplaceNs,
            kind: 'Deployment',
            name: 'old',
            pods: 1,
            stalePods: 1,
            from: `${inplaceRev}@1.27.0`,
            to: `${inplaceRev}@1.27.1`,
          },
        ],
      });
      const cond = inplace.status?.conditions?.find((c) => c.type === 'ProxiesCurrent');
      assert.equal(cond?.status, 'False');
      assert.equal(cond?.reason, 'StaleProxies');
      // Reporting never acts: no template got a restart marker.
      const dep = await env.client.get<
        KubernetesObject & {
          spec: { template: { metadata: { annotations?: Record<string, string> } } };
        }
      >({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'old', namespace: inplaceNs },
      });
      assert.equal(
        dep.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'],
        undefined,
      );
      const canary = (await proxiesOf('canary'))!;
      assert.deepEqual([canary.pods, canary.stalePods], [0, 0]);
      const canaryCond = (await env.getIop(istioNs, 'canary')).status?.conditions?.find(
        (c) => c.type === 'ProxiesCurrent',
      );
      assert.equal(canaryCond?.status, 'True');
      const metrics = await manager.metrics.registry.metrics();
      assert.match(
        metrics,
        new RegExp(
          `^istio_operator_stale_proxy_pods\\{namespace="${istioNs}",name="inplace"\\} 1$`,
          'm',
        ),
      );
      // A pod gone is seen at the next scan: the stale Deployment scaled to zero.
      await env.client.mergePatch({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'old', namespace: inplaceNs },
        spec: { replicas: 0 },
      } as KubernetesObject);
      await waitFor(
        'inplace current once its stale pod is gone',
        async () =>
          (await env.getIop(istioNs, 'inplace')).status?.conditions?.find(
            (c) => c.type === 'ProxiesCurrent',
          )?.status === 'True',
        60_000,
        undefined,
        250,
      );
    } finally {
      for (const name of ['inplace', 'stable', 'canary']) {
        await env.client.delete(iopRef(istioNs, name)).catch(() => undefined);
      }
      for (const name of ['inplace', 'stable', 'canary']) {
        await env.uninstalled(istioNs, name, 60_000).catch(() => undefined);
      }
      await manager.stop();
    }
  });
});
