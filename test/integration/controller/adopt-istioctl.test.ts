import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { WATCHED_KINDS } from '../../../src/apply/kinds.js';
import type { IstioOperator } from '../../../src/api/types.js';
import { ensureBinaries, istioctlFor } from '../../../src/cluster/binaries.js';
import { startControlPlane, type RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { diffJson } from '../../../src/diff/fields.js';
import type { Json } from '../../../src/json/value.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';
import { installIstioOperatorCrd } from '../../support/crd.js';
import { iopRef } from '../../support/operator.js';
import { matchingConfigs, type WebhookConfig } from '../../support/selectors.js';

const NS = 'istio-system';

/** Kinds a Kubernetes controller writes from ours (their content follows pods, not installers). */
const DERIVED = new Set(['Endpoints']);

/**
 * Whether a Kubernetes controller wrote `o` from one of ours: Endpoints, and
 * the EndpointSlices of a Service (they copy its labels, so they look like
 * an installer's; the operator's own, a remote istiod's, are managed by it).
 */
function derived(o: k8s.KubernetesObject): boolean {
  return (
    DERIVED.has(o.kind ?? '') ||
    (o.kind === 'EndpointSlice' &&
      o.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'] ===
        'endpointslice-controller.k8s.io')
  );
}

/**
 * An object's content: everything but metadata and status, without the
 * webhooks' caBundle (istiod's to fill in).
 */
function content(o: k8s.KubernetesObject): Json {
  const c = structuredClone(o) as Record<string, unknown>;
  delete c.metadata;
  delete c.status;
  for (const w of (c.webhooks as { clientConfig?: { caBundle?: string } }[] | undefined) ?? []) {
    delete w.clientConfig?.caBundle;
  }
  return c as Json;
}

/**
 * An object's content as a contract: {@link content}, except the two texts
 * that are not one (the conformance suite's allow-list says why, and proves
 * what they yield instead):
 * - the injector ConfigMap's template texts — our own, not Istio's, proven
 *   by injecting pods and rendering Gateways; the `config` key is compared
 *   parsed, every other setting in it included, and the template names must
 *   be the same;
 * - the `values` ConfigMap's data, a debug dump of Helm values istiod never
 *   reads.
 */
function contract(o: k8s.KubernetesObject): Json {
  const c = content(o) as Record<string, unknown>;
  const data = c.data as Record<string, string> | undefined;
  if (o.kind === 'ConfigMap' && o.metadata?.name === 'values') delete c.data;
  if (o.kind === 'ConfigMap' && o.metadata?.name === 'istio-sidecar-injector' && data?.config) {
    const config = yaml.load(data.config) as Record<string, unknown>;
    const templates = config.templates as Record<string, unknown> | undefined;
    if (templates) config.templates = Object.keys(templates).sort();
    c.data = { ...data, config };
  }
  return c as Json;
}

/** `kind namespace/name` → object, for every object of a managed kind an Istio installer labelled. */
async function snapshot(client: KubeClient): Promise<Map<string, k8s.KubernetesObject>> {
  const out = new Map<string, k8s.KubernetesObject>();
  for (const k of WATCHED_KINDS) {
    if (DERIVED.has(k.kind)) continue;
    const items = await client.list(k).catch(() => [] as k8s.KubernetesObject[]);
    for (const o of items) {
      if (derived({ ...o, kind: k.kind })) continue;
      const l = o.metadata?.labels ?? {};
      const istio =
        'operator.istio.io/component' in l ||
        (k.kind === 'CustomResourceDefinition' && o.metadata?.name?.endsWith('.istio.io'));
      if (!istio) continue;
      out.set(`${k.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`, o);
    }
  }
  return out;
}

/** A workload's pod template (Deployments and DaemonSets) as the only field of an object, else undefined. */
function podTemplate(o: k8s.KubernetesObject): Json | undefined {
  if (o.kind !== 'Deployment' && o.kind !== 'DaemonSet') return undefined;
  const template = (o as { spec?: { template?: Json } }).spec?.template;
  return template === undefined ? undefined : { spec: { template } };
}

/** `path before → after`, shortened, for assertion messages. */
function describeChange(f: { path: string; before?: Json; after?: Json }): string {
  return `${f.path} ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`.slice(0, 300);
}

/** Runs istioctl to completion; rejects with its output when it fails. */
async function runIstioctl(bin: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`istioctl ${args.join(' ')}: exit ${code}\n${out}`)),
    );
  });
}

/** One adoption case: a built-in profile installed by one line's istioctl. */
interface Case {
  profile: 'demo' | 'default' | 'ambient';
  line: '1.27' | '1.31';
  /** The Deployments and DaemonSets istioctl installs (`Kind namespace/name`). */
  workloads: string[];
  crds: number;
}

const WORKLOADS: Record<Case['profile'], string[]> = {
  demo: [
    `Deployment ${NS}/istio-egressgateway`,
    `Deployment ${NS}/istio-ingressgateway`,
    `Deployment ${NS}/istiod`,
  ],
  default: [`Deployment ${NS}/istio-ingressgateway`, `Deployment ${NS}/istiod`],
  ambient: [`DaemonSet ${NS}/istio-cni-node`, `DaemonSet ${NS}/ztunnel`, `Deployment ${NS}/istiod`],
};

const CASES: Case[] = (['1.27', '1.31'] as const).flatMap((line) =>
  (['demo', 'default', 'ambient'] as const).map((profile) => ({
    profile,
    line,
    workloads: WORKLOADS[profile],
    crds: line === '1.27' ? 14 : 15,
  })),
);

/**
 * The tag istioctl is given and the IstioOperator names: 1.27.0 for the
 * 1.27 oracle (as the conformance suite runs it), the catalog's patch for
 * later lines (istioctl renders whatever tag it is given).
 */
function tagOf(line: Case['line']): string {
  return line === '1.27' ? '1.27.0' : releaseOfMinor(line)!.patch;
}

/**
 * Adoption without change: `istioctl install` of one line (1.27 and 1.31)
 * sets up a built-in profile (demo with its ingress and egress gateways,
 * default, ambient with istio-cni-node and ztunnel), then the operator is
 * started and given an IstioOperator with the same spec. It converges
 * without changing the content of a single object istioctl created — CRDs
 * and every pod template included, so no workload restarts — and
 * afterwards exactly one
 * mutating webhook answers for a default-injected namespace (the ambient
 * profile keeps the sidecar injector too).
 *
 * Each case on a control plane of its own (10–15 s to start on 2 cores; a
 * case takes 26–39 s in all): istioctl installs cluster-wide webhooks
 * (`istiod-default-validator` validates every unlabelled Istio config
 * object) that the shared one's tests must not meet. Reusing one control
 * plane per line was measured and not taken: deleting the IstioOperator,
 * `istioctl uninstall --purge` and waiting for its CRDs to go take 8–11 s,
 * so at most about 15 s of the file's 3 minutes would be saved, for cases
 * that no longer start from a clean cluster (istio-system and the
 * IstioOperator CRD stay) and a failure that would carry into the next
 * case. No pod is created in an injection-enabled namespace and no Istio
 * config object is created.
 */
for (const c of CASES) {
  describe(`operator: adopts an istioctl ${c.line} install of profile ${c.profile}`, function () {
    // Cold: the control-plane binaries and istioctl are built first.
    this.timeout(60 * 60_000);
    const tag = tagOf(c.line);
    let cp: RunningControlPlane | undefined;
    let dir: string | undefined;
    let client: KubeClient;
    let manager: OperatorManager | undefined;
    let before_: Map<string, k8s.KubernetesObject>;
    let after_: Map<string, k8s.KubernetesObject>;
    let started = 0;
    const phases: string[] = [];

    before(async () => {
      const bin = istioctlFor(c.line)!;
      const istioctl = (
        await ensureBinaries([bin], {
          onProgress: (l) => process.stderr.write(`      [${bin}] ${l}\n`),
        })
      )[bin];
      started = Date.now();
      let mark = started;
      const phase = (name: string) => {
        phases.push(`${name} ${((Date.now() - mark) / 1000).toFixed(1)} s`);
        mark = Date.now();
      };
      dir = await mkdtemp(join(tmpdir(), 'adopt-'));
      cp = await startControlPlane({ dir, mode: 'full' });
      const kc = cp.kubeConfig();
      client = new KubeClient(kc);
      phase('control plane');

      const iop = {
        ...iopRef(NS, 'control-plane'),
        spec: { profile: c.profile, tag },
      } as IstioOperator;
      const file = join(dir, 'iop.yaml');
      await writeFile(file, yaml.dump(iop));
      // istioctl waits until every Deployment and DaemonSet is ready (kwok
      // makes their pods ready, istio-cni-node's and ztunnel's included): no
      // flag is needed to skip it. --readiness-timeout only bounds it; 1.27
      // and 1.31 take the same flags.
      await runIstioctl(istioctl, [
        'install',
        '-f',
        file,
        '-y',
        '--kubeconfig',
        cp.kubeconfig,
        '--readiness-timeout',
        '5m',
      ]);
      before_ = await snapshot(client);
      phase('istioctl install');

      await installIstioOperatorCrd(kc);
      manager = new OperatorManager({
        kubeConfig: kc,
        watchNamespaces: [NS],
        requeueWhileRollingMs: 500,
      });
      await manager.start();
      await client.apply(iop as k8s.KubernetesObject);
      await waitFor(
        'IstioOperator HEALTHY',
        async () =>
          ((await client.get(iopRef(NS, 'control-plane'))) as unknown as IstioOperator).status
            ?.status === 'HEALTHY',
        180_000,
        undefined,
        500,
      );
      after_ = await snapshot(client);
      phase('adoption');
    });

    after(async () => {
      await manager?.stop();
      await cp?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
      if (started) {
        process.stderr.write(
          `      adoption ${c.profile} ${c.line} (tag ${tag}): ${((Date.now() - started) / 1000).toFixed(1)} s ` +
            `(${phases.join(', ')})\n`,
        );
      }
    });

    it(`istioctl installed the ${c.profile} profile: ${c.crds} CRDs and ${c.workloads.length} workloads`, () => {
      const ids = [...before_.keys()];
      assert.equal(ids.filter((i) => i.startsWith('CustomResourceDefinition ')).length, c.crds);
      assert.deepEqual(
        ids.filter((i) => /^(Deployment|DaemonSet) /.test(i)).sort(),
        [...c.workloads].sort(),
      );
      assert.ok(ids.includes('MutatingWebhookConfiguration /istio-revision-tag-default'));
    });

    it('keeps every pod template (no Deployment or DaemonSet restarts)', () => {
      const changed: string[] = [];
      for (const [id, was] of before_) {
        const a = podTemplate(was);
        if (a === undefined) continue;
        const now = after_.get(id);
        for (const f of diffJson(a, now && podTemplate(now)))
          changed.push(`${id}: ${describeChange(f)}`);
      }
      assert.deepEqual(changed, [], 'pod template fields the adoption changed');
    });

    it('changes the content of no object istioctl created (0 changed), CRDs included', () => {
      const changed: string[] = [];
      const rewritten: string[] = [];
      for (const [id, was] of before_) {
        const now = after_.get(id);
        if (!now) {
          changed.push(`${id}: deleted`);
          continue;
        }
        if (isDeepStrictEqual(content(was), content(now))) continue;
        const [a, b] = [contract(was), contract(now)];
        if (isDeepStrictEqual(a, b)) {
          rewritten.push(id);
          continue;
        }
        const fields = diffJson(a, b);
        changed.push(`${id}: ${fields.slice(0, 5).map(describeChange).join('; ')}`);
      }
      const added = [...after_.keys()].filter((id) => !before_.has(id));
      process.stderr.write(
        `      adoption ${c.profile} ${c.line}: ${before_.size} objects istioctl created, ` +
          `${changed.length} changed; ` +
          `${rewritten.length} with only non-contract text rewritten${rewritten.length ? ` (${rewritten.join(', ')})` : ''}; ` +
          `${added.length} added by the operator${added.length ? ` (${added.join(', ')})` : ''}\n`,
      );
      assert.deepEqual(changed, []);
      // Only the two texts that are not a contract, and nothing else, may be rewritten.
      for (const id of rewritten) {
        assert.match(id, /^ConfigMap istio-system\/(istio-sidecar-injector|values)$/);
      }
    });

    it('leaves exactly one mutating webhook configuration for a default-injected pod', () => {
      const configs = [...after_.values()].filter(
        (o) => o.kind === 'MutatingWebhookConfiguration',
      ) as WebhookConfig[];
      for (const [ns, pod] of [
        [{ 'istio-injection': 'enabled' }, {}],
        [{ 'istio.io/rev': 'default' }, {}],
        [{}, { 'sidecar.istio.io/inject': 'true' }],
      ] as const) {
        assert.deepEqual(
          matchingConfigs(configs, ns, pod),
          ['istio-revision-tag-default'],
          JSON.stringify({ ns, pod }),
        );
      }
    });
  });
}
