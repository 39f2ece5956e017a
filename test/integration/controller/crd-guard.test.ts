import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { IstioOperator } from '../../../src/api/types.js';
import { startControlPlane, type RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { waitFor } from '../../../src/cluster/health.js';
import { OperatorManager } from '../../../src/controller/manager.js';
import { FIELD_MANAGER, KubeClient } from '../../../src/kube/client.js';
import { kubeRequest } from '../../../src/kube/request.js';
import { renderIstioCrds } from '../../../src/render/crds.js';
import { DEFAULT_RELEASE } from '../../../src/releases/catalog.js';
import type { K8sObject } from '../../../src/render/object.js';
import { runCli } from '../../support/cli.js';
import { installIstioOperatorCrd } from '../../support/crd.js';
import { iopRef } from '../../support/operator.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const crdRef = (name: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
});

type Rec = Record<string, unknown>;
const versionsOf = (o: K8sObject) => (o.spec as { versions: Rec[] }).versions;

/** One of our rendered CRDs, as a plain copy another installer might have written. */
function crd(name: string): K8sObject {
  const c = renderIstioCrds(DEFAULT_RELEASE, new Set()).find((x) => x.metadata.name === name)!;
  return structuredClone({ ...c, metadata: { name, labels: {} } }) as K8sObject;
}

/**
 * Never weaken a live CRD: with CRDs from a newer Istio and from another
 * installer with a richer schema already in the cluster, the operator leaves
 * them exactly as they are, says so (status, Event, diff) and installs the
 * rest. Runs on an API server of its own: the CRDs are cluster-wide, and the
 * shared one's tests expect ours.
 */
describe('operator: never weakens a live CRD', function () {
  this.timeout(15 * 60_000); // a cold run builds etcd and kube-apiserver first
  let cp: RunningControlPlane | undefined;
  let dir: string;
  let kc: k8s.KubeConfig;
  let client: KubeClient;
  let manager: OperatorManager | undefined;
  const ns = 'istio-system';
  const before_: Record<string, unknown> = {};

  const iop = async () => (await client.get(iopRef(ns, 'base-only'))) as unknown as IstioOperator;
  /** What the operator must not touch: spec and labels, and that it never wrote the object. */
  const untouched = async (name: string) => {
    const o = (await client.get(crdRef(name))) as unknown as K8sObject & k8s.KubernetesObject;
    return {
      spec: o.spec,
      labels: o.metadata.labels,
      ours: (o.metadata.managedFields ?? []).some((f) => f.manager === FIELD_MANAGER),
    };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crd-guard-'));
    cp = await startControlPlane({ dir, mode: 'minimal' });
    kc = cp.kubeConfig();
    client = new KubeClient(kc);
    await installIstioOperatorCrd(kc);
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });

    // A newer Istio's VirtualService CRD (its release label says 1.99.0).
    const newer = crd('virtualservices.networking.istio.io');
    newer.metadata.labels = { 'app.kubernetes.io/version': '1.99.0' };
    versionsOf(newer)[0]!.additionalPrinterColumns = [
      { name: 'Newer', type: 'string', jsonPath: '.spec.hosts' },
    ];
    // Another installer's Sidecar CRD, unlabelled, whose schema says more than ours.
    const richer = crd('sidecars.networking.istio.io');
    for (const v of versionsOf(richer)) {
      const spec = (v.schema as { openAPIV3Schema: { properties: { spec: Rec } } }).openAPIV3Schema
        .properties.spec;
      (spec.properties as Rec).vendorExtension = { type: 'string' };
    }
    // An older, open Gateway CRD (this operator's own before it rendered Istio's): replaced.
    const open = crd('gateways.networking.istio.io');
    for (const v of versionsOf(open)) {
      v.schema = {
        openAPIV3Schema: {
          type: 'object',
          properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      };
      delete v.additionalPrinterColumns;
    }
    for (const c of [newer, richer, open]) {
      await kubeRequest(kc, 'POST', `${CRDS}?fieldManager=another-installer`, c);
    }
    for (const name of ['virtualservices', 'sidecars']) {
      before_[name] = await untouched(`${name}.networking.istio.io`);
    }

    manager = new OperatorManager({
      kubeConfig: kc,
      watchNamespaces: [ns],
      requeueWhileRollingMs: 500,
    });
    await manager.start();
    await client.apply({
      ...iopRef(ns, 'base-only'),
      spec: { profile: 'empty', components: { base: { enabled: true } } },
    });
    await waitFor(
      'IstioOperator HEALTHY',
      async () => (await iop()).status?.status === 'HEALTHY',
      90_000,
      undefined,
      200,
    );
  });

  after(async () => {
    await manager?.stop();
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves the newer and the richer CRD exactly as they are and installs the rest', async () => {
    assert.deepEqual(
      await untouched('virtualservices.networking.istio.io'),
      before_.virtualservices,
    );
    assert.deepEqual(await untouched('sidecars.networking.istio.io'), before_.sidecars);
    assert.equal((before_.sidecars as { ours: boolean }).ours, false);
    const gw = (await client.get(crdRef('gateways.networking.istio.io'))) as unknown as K8sObject;
    const v1 = versionsOf(gw).find((v) => v.name === 'v1')!;
    assert.ok(
      JSON.stringify(v1.schema).includes('"servers"'),
      "the open Gateway CRD got Istio's schema",
    );
    for (const name of ['destinationrules', 'envoyfilters', 'serviceentries']) {
      const c = await client.get(crdRef(`${name}.networking.istio.io`));
      assert.equal(c.metadata?.labels?.['install.operator.istio.io/owning-resource'], 'base-only');
    }
  });

  it('says so in status and in an Event', async () => {
    const message = (await iop()).status?.message ?? '';
    // The IstioOperator names no tag: the default line's CRDs are the ones compared.
    const line = DEFAULT_RELEASE.minor.replace('.', '\\.');
    assert.match(
      message,
      new RegExp(
        `CustomResourceDefinition virtualservices\\.networking\\.istio\\.io left as it is: installed by Istio 1\\.99\\.0, newer than the Istio ${line}\\.\\d+ CRDs`,
      ),
    );
    assert.match(
      message,
      /CustomResourceDefinition sidecars\.networking\.istio\.io left as it is: its v1 schema says more/,
    );
    await waitFor(
      'CRDsKept Event',
      async () => {
        const res = await kubeRequest(kc, 'GET', `/api/v1/namespaces/${ns}/events`);
        const events = (JSON.parse(res.body) as { items: { reason?: string; message?: string }[] })
          .items;
        return events.some((e) => e.reason === 'CRDsKept' && /1\.99\.0/.test(e.message ?? ''));
      },
      15_000,
      undefined,
      200,
    );
  });

  it('lists them in istio-operator diff, which would change nothing else', async () => {
    const file = join(dir, 'iop.yaml');
    const live = await iop();
    await writeFile(file, yaml.dump({ ...iopRef(ns, 'base-only'), spec: live.spec }));
    const r = await runCli(['diff', '-f', file, '--kubeconfig', cp!.kubeconfig], {
      timeoutMs: 120_000,
    });
    assert.match(
      r.stdout,
      /^= CustomResourceDefinition virtualservices\.networking\.istio\.io left as it is: installed by Istio 1\.99\.0/m,
    );
    assert.match(
      r.stdout,
      /^= CustomResourceDefinition sidecars\.networking\.istio\.io left as it is/m,
    );
    assert.match(r.stdout, /^0 to create, 0 to change, 0 to prune/m);
    assert.equal(r.code, 0, r.stderr);
  });

  it('keeps every CRD when the IstioOperator is deleted', async () => {
    await client.delete(iopRef(ns, 'base-only'));
    await waitFor(
      'IstioOperator gone',
      async () => {
        try {
          await iop();
          return false;
        } catch {
          return true;
        }
      },
      60_000,
      undefined,
      200,
    );
    for (const c of renderIstioCrds(DEFAULT_RELEASE, new Set())) {
      await client.get(crdRef(c.metadata.name)); // throws when it is gone
    }
    assert.deepEqual(
      await untouched('virtualservices.networking.istio.io'),
      before_.virtualservices,
    );
  });
});
