import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import {
  ensureBinaries,
  ISTIO_BINARY_LINES,
  pilotDiscoveryFor,
} from '../../../src/cluster/binaries.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { registerLocalBackend } from '../../../src/cluster/egress.js';
import { probe, waitFor } from '../../../src/cluster/health.js';
import { startLocalIstiod, type LocalIstiod } from '../../../src/cluster/istiod.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';
import { runCli } from '../../support/cli.js';
import { ownCluster } from '../../support/cluster.js';
import { processUsage, webApp } from '../../support/istiod.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';

/** A cold build of every line's pilot-discovery on a contended 2-core machine. */
const BUILD_TIMEOUT_MS = 60 * 60_000;
const NS = 'istio-system';
const MESH = 'mesh1';
const NETWORK = 'net1';

/**
 * One cluster of the mesh: its control plane (shared by every line), and the
 * operator and (when primary) istiod of the line under test.
 */
interface Member {
  id: string;
  cp: RunningControlPlane;
  env: OperatorEnv;
  operator?: OperatorManager;
  istiod?: LocalIstiod;
}

/** GET a debug endpoint of a local istiod (its HTTP port), parsed. */
async function debug<T>(istiod: LocalIstiod, path: string): Promise<T> {
  const r = await probe(`http://127.0.0.1:${istiod.ports.http}${path}`);
  assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
  return JSON.parse(r.body) as T;
}

/** The clusters an istiod knows, with their sync status (`/debug/clusterz`). */
async function clusters(istiod: LocalIstiod): Promise<Record<string, string>> {
  const list = await debug<
    { id?: string; ID?: string; syncStatus?: string; SyncStatus?: string }[]
  >(istiod, '/debug/clusterz');
  return Object.fromEntries(
    list.map((c) => [c.id ?? c.ID ?? '?', c.syncStatus ?? c.SyncStatus ?? '?']),
  );
}

/**
 * The endpoint addresses an istiod holds for one Service, by the cluster
 * each came from (`/debug/endpointShardz`: host → namespace → shards keyed
 * `provider/cluster`).
 */
async function endpointsOf(
  istiod: LocalIstiod,
  host: string,
  namespace: string,
): Promise<Record<string, string[]>> {
  const all = await debug<
    Record<
      string,
      Record<string, { Shards?: Record<string, { Address?: string; Addresses?: string[] }[]> }>
    >
  >(istiod, '/debug/endpointShardz');
  const shards = all[host]?.[namespace]?.Shards ?? {};
  const out: Record<string, string[]> = {};
  for (const [key, eps] of Object.entries(shards)) {
    const cluster = key.split('/').pop()!;
    out[cluster] = (eps ?? []).flatMap((e) => e.Addresses ?? (e.Address ? [e.Address] : [])).sort();
  }
  return out;
}

/** An app in one cluster: Deployment and Service `name` in `namespace`. */
function app(namespace: string, name: string, replicas: number): k8s.KubernetesObject[] {
  const d = webApp(namespace, name);
  d.spec!.replicas = replicas;
  const svc: k8s.V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
  return [svc, d];
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const mib = (n: number) => `${n.toFixed(0)} MiB`;

/**
 * One mesh over two local control planes, for every Istio line whose
 * pilot-discovery the project builds: each line's IstioOperators (with that
 * line's tag) installed by the operator, that line's real istiod run for
 * each primary, the clusters connected with `istio-operator
 * create-remote-secret`. Per line, primary-remote first, then the remote is
 * turned into a second primary.
 *
 * Each line gets a pair of control planes of its own, stopped before the
 * next line's starts (a pair costs about 30 s to start; peak memory stays
 * one pair's). Sharing one pair across lines is not a clean slate: an
 * uninstall keeps the Istio CRDs (never deleted, by design), labelled with
 * the line that installed them, so the next line's install would be a
 * 1.27 → 1.30 upgrade, which the operator refuses as a skipped minor — the
 * suite would then test a forced upgrade over another line's CRDs, not
 * that line's multi-cluster install.
 */
describe(`one mesh over two clusters (real istiod of ${ISTIO_BINARY_LINES.join(', ')})`, function () {
  const figures: string[] = [];
  /** Members started and not yet stopped (stopped by the suite when a line's clean-up failed). */
  const running = new Set<Member>();
  let suiteStarted = 0;

  const member = async (
    id: string,
    line: string,
    serviceCidr: string,
    podCidr: string,
  ): Promise<Member> => {
    const cp = await ownCluster(`mc-${line}-${id}`, { serviceCidr, podCidr });
    try {
      const env = await operatorEnv(cp);
      await env.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
      const m: Member = { id, cp, env, operator: await env.startOperator([NS]) };
      running.add(m);
      return m;
    } catch (e) {
      await cp.stop();
      throw e;
    }
  };

  /** Stops what a member runs: its istiod, operator and control plane. */
  const stop = async (m: Member) => {
    running.delete(m);
    await m.istiod?.stop();
    await m.operator?.stop();
    await m.cp.stop();
  };

  before(async function () {
    this.timeout(BUILD_TIMEOUT_MS);
    suiteStarted = Date.now();
    // Found (or built, loudly) up front, not inside startLocalIstiod's 2-minute step.
    await ensureBinaries(
      ISTIO_BINARY_LINES.map((l) => pilotDiscoveryFor(l)!),
      { onProgress: (l) => process.stderr.write(`      [build] ${l}\n`) },
    );
  });

  after(async function () {
    this.timeout(180_000);
    // Only when a line's own clean-up failed.
    for (const m of [...running]) await stop(m);
    figures.push(`suite ${seconds(Date.now() - suiteStarted)}`);
    process.stderr.write(`      [multicluster] ${figures.join('; ')}\n`);
  });

  for (const line of ISTIO_BINARY_LINES) describeLine(line);

  /** The suite's tests for one Istio line, on a pair of control planes of its own. */
  function describeLine(line: string) {
    describe(`Istio ${line}`, () => {
      const tag = releaseOfMinor(line)!.patch;
      const lineFigures: string[] = [];
      let a!: Member;
      let b!: Member;
      let lineStarted = 0;

      const iop = (name: string, spec: Record<string, unknown>) => ({
        ...iopRef(NS, name),
        spec: { tag, ...spec },
      });

      const primarySpec = (id: string) => ({
        profile: 'minimal',
        values: {
          global: { meshID: MESH, network: NETWORK, multiCluster: { clusterName: id } },
          // A's istiod also configures the remote (webhook CA, root cert), as Istio's primary-remote does.
          pilot: { env: { EXTERNAL_ISTIOD: 'true' } },
        },
      });

      /** Installs a primary in a member and runs this line's real istiod for it. */
      const installPrimary = async (m: Member) => {
        await m.env.client.apply(iop('primary', primarySpec(m.id)));
        await waitFor(
          'istiod Deployment',
          () => m.env.exists(deploymentRef(NS, 'istiod')),
          60_000,
          undefined,
          100,
        );
        // The binary is chosen from the Deployment the operator rendered for `tag`.
        m.istiod = await startLocalIstiod({
          kubeConfig: m.env.kc,
          controlPlaneDir: m.cp.dir,
          namespace: NS,
        });
        assert.equal(
          m.istiod.binary.name,
          pilotDiscoveryFor(line),
          `${m.id}'s istiod is pilot-discovery ${line}`,
        );
      };

      /** `create-remote-secret` against `from`, applied to `to`'s Istio namespace. */
      const connect = async (from: Member, to: Member) => {
        const r = await runCli([
          'create-remote-secret',
          '--kubeconfig',
          from.cp.kubeconfig,
          '--name',
          from.id,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const [secret] = yaml.loadAll(r.stdout).filter(Boolean) as (k8s.V1Secret & {
          metadata: { name: string };
        })[];
        assert.ok(secret, r.stdout.length ? 'one Secret printed' : r.stderr);
        await to.env.client.apply(secret);
        return secret.metadata.name;
      };

      before(async function () {
        this.timeout(120_000);
        lineStarted = Date.now();
        // Address ranges of their own: an address names one cluster's pod or Service.
        a = await member('cluster-a', line, '10.10.0.0/24', '10.11.0.1/24');
        b = await member('cluster-b', line, '10.20.0.0/24', '10.21.0.1/24');
      });

      after(async function () {
        this.timeout(180_000);
        const members = [a, b].filter((m) => running.has(m));
        const rss = members.map((m) =>
          mib(m.cp.processes.reduce((sum, p) => sum + processUsage(p.pid).rssMiB, 0)),
        );
        const istiodRss = members.flatMap((m) =>
          m.istiod ? [mib(processUsage(m.istiod.pid).rssMiB)] : [],
        );
        lineFigures.push(
          `RSS of the control planes ${rss.join(' + ')}; istiods ${istiodRss.join(' + ') || 'none'}`,
        );
        for (const m of members) await stop(m);
        lineFigures.push(`line ${seconds(Date.now() - lineStarted)}`);
        figures.push(`${line}: ${lineFigures.join('; ')}`);
        process.stderr.write(`      [multicluster ${line}] ${lineFigures.join('; ')}\n`);
      });

      describe('primary-remote: A serves B', () => {
        let secretName = '';
        let appNs = '';

        before(async function () {
          this.timeout(300_000);
          await installPrimary(a);
          // B's Istio namespace says who configures it; its webhook calls reach A's istiod.
          await b.env.client.apply({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: NS, annotations: { 'topology.istio.io/controlPlaneClusters': a.id } },
          });
          await registerLocalBackend(
            b.cp.dir,
            { namespace: NS, name: 'istiod', port: 443 },
            a.istiod!.ports.https,
          );
          await b.env.client.apply(
            iop('remote', {
              profile: 'remote',
              values: {
                global: {
                  meshID: MESH,
                  network: NETWORK,
                  multiCluster: { clusterName: b.id },
                  // Any address: B's API server reaches the Service through its egress proxy.
                  remotePilotAddress: '10.10.0.200',
                },
                istiodRemote: { injectionPath: `/inject/cluster/${b.id}/net/${NETWORK}` },
              },
            }),
          );
          appNs = await b.env.namespace('app');
          for (const o of app(appNs, 'web', 2)) await b.env.client.apply(o);
          // The remote's reader exists once the operator applied the remote profile.
          await waitFor(
            'reader ServiceAccount in B',
            () =>
              b.env.exists({
                apiVersion: 'v1',
                kind: 'ServiceAccount',
                metadata: { name: 'istio-reader-service-account', namespace: NS },
              }),
            60_000,
            undefined,
            200,
          );
        });

        it("A's istiod discovers B through the Secret create-remote-secret made, and B's endpoints appear in A", async function () {
          this.timeout(120_000);
          // Before any primary serves it, the remote says what it waits for.
          let message = '';
          await waitFor(
            'the remote IstioOperator waiting for its takeover',
            async () => {
              const st = (await b.env.getIop(NS, 'remote')).status;
              message = st?.message ?? '';
              return st?.status === 'UPDATING' && message.includes('istio-ca-root-cert');
            },
            60_000,
            undefined,
            250,
          ).catch((e: Error) => assert.fail(`${e.message}: ${message}`));
          assert.match(message, /CA bundle of MutatingWebhookConfiguration istio-sidecar-injector/);
          assert.match(message, /create-remote-secret/);
          const t0 = Date.now();
          secretName = await connect(b, a);
          assert.equal(secretName, `istio-remote-secret-${b.id}`);
          await waitFor(
            'B synced in A',
            async () => (await clusters(a.istiod!))[b.id] === 'synced',
            60_000,
            undefined,
            250,
          );
          const host = `web.${appNs}.svc.cluster.local`;
          let eps: Record<string, string[]> = {};
          await waitFor(
            "B's web endpoints in A",
            async () => {
              eps = await endpointsOf(a.istiod!, host, appNs);
              return (eps[b.id] ?? []).length === 2;
            },
            60_000,
            undefined,
            250,
          ).catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(eps)}`));
          lineFigures.push(`first endpoint of B in A ${seconds(Date.now() - t0)} after the secret`);
          assert.ok(
            eps[b.id]!.every((ip) => ip.startsWith('10.21.0.')),
            `B's pod range: ${JSON.stringify(eps)}`,
          );
          assert.equal(eps[a.id], undefined, 'A has no such Service');
        });

        it("A's istiod takes B over: B's injector webhook gets A's CA, istio-ca-root-cert is written into B", async function () {
          this.timeout(60_000);
          let caBundle = '';
          await waitFor(
            "CA bundle on B's injector",
            async () => {
              const hook = await b.env.client.get<k8s.V1MutatingWebhookConfiguration>({
                apiVersion: 'admissionregistration.k8s.io/v1',
                kind: 'MutatingWebhookConfiguration',
                metadata: { name: 'istio-sidecar-injector' },
              });
              caBundle = hook.webhooks?.[0]?.clientConfig.caBundle ?? '';
              return caBundle !== '';
            },
            45_000,
            undefined,
            250,
          );
          let root = '';
          await waitFor(
            'istio-ca-root-cert in B',
            async () => {
              const cm = await b.env.client
                .get<k8s.V1ConfigMap>({
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  metadata: { name: 'istio-ca-root-cert', namespace: NS },
                })
                .catch(() => undefined);
              root = cm?.data?.['root-cert.pem'] ?? '';
              return root !== '';
            },
            45_000,
            undefined,
            250,
          );
          // A's mesh CA (self-signed, in A's istio-ca-secret) is what B's proxies are to trust.
          const ca = await a.env.client.get<k8s.V1Secret>({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'istio-ca-secret', namespace: NS },
          });
          const aRoot = Buffer.from(ca.data?.['ca-cert.pem'] ?? '', 'base64').toString();
          assert.ok(aRoot && root.includes(aRoot.trim()), "B's root cert is A's mesh CA");
          // Taken over: now the remote IstioOperator is HEALTHY.
          await waitFor(
            'the remote IstioOperator HEALTHY',
            async () => (await b.env.getIop(NS, 'remote')).status?.status === 'HEALTHY',
            30_000,
            undefined,
            250,
          );
          assert.match(Buffer.from(caBundle, 'base64').toString(), /BEGIN CERTIFICATE/);
        });

        it("a pod created in B is injected by A's istiod with B's cluster ID", async function () {
          this.timeout(60_000);
          const ns = await b.env.namespace('injected');
          await b.env.client.apply({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: ns, labels: { 'istio-injection': 'enabled' } },
          });
          const t0 = Date.now();
          const [, d] = app(ns, 'client', 1);
          await b.env.client.apply(d!);
          let pod: k8s.V1Pod | undefined;
          await waitFor(
            'a pod in B',
            async () => {
              const pods = await b.env.client.list<k8s.V1Pod>(
                { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
                ns,
              );
              pod = pods[0];
              return pod !== undefined;
            },
            45_000,
            undefined,
            200,
          );
          lineFigures.push(`pod in B injected ${seconds(Date.now() - t0)} after its Deployment`);
          const proxy = pod!.spec?.containers.find((c) => c.name === 'istio-proxy');
          assert.ok(proxy, `injected: ${pod!.spec?.containers.map((c) => c.name).join(', ')}`);
          const env = Object.fromEntries((proxy.env ?? []).map((e) => [e.name, e.value]));
          assert.equal(env.ISTIO_META_CLUSTER_ID, b.id);
          assert.equal(env.ISTIO_META_NETWORK, NETWORK);
        });

        it("B's endpoints leave A when B scales down, and B leaves A when its secret is deleted", async function () {
          this.timeout(120_000);
          const host = `web.${appNs}.svc.cluster.local`;
          assert.equal(
            ((await endpointsOf(a.istiod!, host, appNs))[b.id] ?? []).length,
            2,
            "B's endpoints are in A before the scale-down",
          );
          const t0 = Date.now();
          await b.env.client.mergePatch({
            ...deploymentRef(appNs, 'web'),
            spec: { replicas: 0 },
          } as never);
          await waitFor(
            "B's endpoints gone from A",
            async () => ((await endpointsOf(a.istiod!, host, appNs))[b.id] ?? []).length === 0,
            60_000,
            undefined,
            250,
          );
          lineFigures.push(`scale-down seen in A ${seconds(Date.now() - t0)}`);
          await b.env.client.mergePatch({
            ...deploymentRef(appNs, 'web'),
            spec: { replicas: 1 },
          } as never);
          await waitFor(
            "B's endpoint back in A",
            async () => ((await endpointsOf(a.istiod!, host, appNs))[b.id] ?? []).length === 1,
            60_000,
            undefined,
            250,
          );
          const t1 = Date.now();
          await a.env.client.delete({
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: secretName, namespace: NS },
          });
          await waitFor(
            'B gone from A',
            async () =>
              (await clusters(a.istiod!))[b.id] === undefined &&
              (await endpointsOf(a.istiod!, host, appNs))[b.id] === undefined,
            60_000,
            undefined,
            250,
          );
          lineFigures.push(`secret deletion seen in A ${seconds(Date.now() - t1)}`);
        });
      });

      describe('multi-primary: two istiods, each discovering the other', () => {
        before(async function () {
          this.timeout(300_000);
          // B stops being A's remote: the operator uninstalls the remote IstioOperator.
          await b.env.client.delete(iopRef(NS, 'remote'));
          await b.env.uninstalled(NS, 'remote', 120_000);
          // Applied without the annotation: server-side apply drops what this test set.
          await b.env.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
          await installPrimary(b);
        });

        it("each istiod lists the other's endpoints after the remote secrets are exchanged", async function () {
          this.timeout(180_000);
          const nsA = await a.env.namespace('app');
          const nsB = await b.env.namespace('app');
          const shared = 'shared';
          for (const o of app(nsA, shared, 1)) await a.env.client.apply(o);
          for (const o of app(nsB, shared, 1)) await b.env.client.apply(o);
          await connect(a, b);
          await connect(b, a);
          for (const [self, other, ns] of [
            [a, b, nsB],
            [b, a, nsA],
          ] as const) {
            await waitFor(
              `${other.id} synced in ${self.id}`,
              async () => (await clusters(self.istiod!))[other.id] === 'synced',
              60_000,
              undefined,
              250,
            );
            let eps: Record<string, string[]> = {};
            await waitFor(
              `${other.id}'s endpoints in ${self.id}`,
              async () => {
                eps = await endpointsOf(self.istiod!, `${shared}.${ns}.svc.cluster.local`, ns);
                return (eps[other.id] ?? []).length === 1;
              },
              60_000,
              undefined,
              250,
            ).catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(eps)}`));
          }
        });
      });
    });
  }
});
