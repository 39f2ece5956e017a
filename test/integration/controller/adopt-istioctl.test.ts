import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { WATCHED_KINDS } from '../../../src/apply/kinds.js';
import type { IstioOperator } from '../../../src/api/types.js';
import { ensureBinaries } from '../../../src/cluster/binaries.js';
import { startControlPlane, type RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { KubeClient } from '../../../src/kube/client.js';
import { diffJson } from '../../../src/render/diff.js';
import type { Json } from '../../../src/json/value.js';
import { ROOT } from '../../support/cli.js';
import { installIstioOperatorCrd } from '../../support/crd.js';
import { iopRef } from '../../support/operator.js';
import { matchingConfigs, type WebhookConfig } from '../../support/selectors.js';
import { spawn } from 'node:child_process';

/** What istioctl 1.27.0 installs (the oracle's tag, as the conformance suite runs it). */
const TAG = '1.27.0';
const NS = 'istio-system';

/** The control-plane IstioOperator of examples/demo.yaml (profile demo, gateways disabled). */
function demoControlPlane(): IstioOperator {
  const docs = yaml.loadAll(readFileSync(join(ROOT, 'examples', 'demo.yaml'), 'utf8'));
  const cp = docs.find(
    (d) => (d as IstioOperator | null)?.metadata?.name === 'control-plane',
  ) as IstioOperator;
  assert.ok(cp, 'examples/demo.yaml has the control-plane IstioOperator');
  return cp;
}

/** Kinds a Kubernetes controller writes from ours (their content follows pods, not installers). */
const DERIVED = new Set(['Endpoints']);

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

/**
 * Adoption without change: `istioctl install` (the 1.27.0 oracle) sets up a
 * control plane, then the operator is started and given an IstioOperator
 * with the same spec. It converges without changing the content of a single
 * object istioctl created — CRDs included — and afterwards exactly one
 * mutating webhook answers for a default-injected namespace.
 *
 * On a control plane of its own: istioctl installs cluster-wide webhooks
 * (`istiod-default-validator` validates every unlabelled Istio config
 * object) that the shared one's tests must not meet. No pod is created in an
 * injection-enabled namespace and no Istio config object is created.
 */
describe('operator: adopts an istioctl install without changing it', function () {
  // Cold: the control-plane binaries and istioctl are built first.
  this.timeout(60 * 60_000);
  let cp: RunningControlPlane | undefined;
  let dir: string;
  let client: KubeClient;
  let manager: OperatorManager | undefined;
  let before_: Map<string, k8s.KubernetesObject>;
  let after_: Map<string, k8s.KubernetesObject>;

  before(async () => {
    const { istioctl } = await ensureBinaries(['istioctl'], {
      onProgress: (l) => process.stderr.write(`      [istioctl] ${l}\n`),
    });
    dir = await mkdtemp(join(tmpdir(), 'adopt-'));
    cp = await startControlPlane({ dir, mode: 'full' });
    const kc = cp.kubeConfig();
    client = new KubeClient(kc);

    const iop = demoControlPlane();
    const file = join(dir, 'demo.yaml');
    await writeFile(file, yaml.dump(iop));
    // istioctl waits until every Deployment is ready (kwok makes them ready):
    // no flag is needed to skip it. --readiness-timeout only bounds it.
    await runIstioctl(istioctl, [
      'install',
      '-f',
      file,
      '-y',
      '--set',
      `tag=${TAG}`,
      '--kubeconfig',
      cp.kubeconfig,
      '--readiness-timeout',
      '5m',
    ]);
    before_ = await snapshot(client);

    await installIstioOperatorCrd(kc);
    manager = new OperatorManager({
      kubeConfig: kc,
      watchNamespaces: [NS],
      requeueWhileRollingMs: 500,
    });
    await manager.start();
    await client.apply({
      ...iopRef(NS, 'control-plane'),
      spec: { ...iop.spec, tag: TAG },
    } as k8s.KubernetesObject);
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
  });

  after(async () => {
    await manager?.stop();
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('istioctl installed the demo control plane and its 14 CRDs', () => {
    const ids = [...before_.keys()];
    assert.equal(ids.filter((i) => i.startsWith('CustomResourceDefinition ')).length, 14);
    assert.ok(ids.includes(`Deployment ${NS}/istiod`));
    assert.ok(ids.includes('MutatingWebhookConfiguration /istio-revision-tag-default'));
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
      const fields = diffJson(a, b).slice(0, 5);
      changed.push(
        `${id}: ${fields.map((f) => `${f.path} ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`.slice(0, 300)).join('; ')}`,
      );
    }
    const added = [...after_.keys()].filter((id) => !before_.has(id));
    process.stderr.write(
      `      adoption: ${before_.size} objects istioctl created, ${changed.length} changed; ` +
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
