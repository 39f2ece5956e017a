import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import { InvalidSpecError } from '../../../src/api/errors.js';
import type { Diagnostic, IstioOperator } from '../../../src/api/types.js';
import { clusterInput, renderIstioOperator } from '../../../src/pipeline/render-istio-operator.js';
import { toYamlDocuments } from '../../../src/render/output.js';

/** A cluster's IstioOperator as the informer holds it: server fields, a status, a null in values. */
function clusterObject(): IstioOperator {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: {
      name: 'main',
      namespace: 'istio-system',
      uid: 'u-1',
      resourceVersion: '42',
      generation: 3,
      labels: { team: 'mesh' },
    },
    spec: {
      profile: 'demo',
      revision: 'canary',
      components: {
        egressGateways: [{ name: 'out', enabled: true, k8s: { replicaCount: 2 } }],
      },
      values: { global: { logAsJson: true }, pilot: { traceSampling: null as unknown as number } },
    },
    status: { status: 'HEALTHY', observedGeneration: 3 },
  };
}

/** Freezes every object and list in `v`, so that a write anywhere throws. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe('pipeline: the one entry of the CLI and the controller', () => {
  it("honours a cluster object's istio-version annotation for a tag that names no version", () => {
    const iop = clusterObject();
    iop.spec = { profile: 'minimal', tag: 'latest' };
    assert.throws(
      () => renderIstioOperator(clusterInput(iop), {}),
      /install\.istio\.io\/istio-version/,
    );
    iop.metadata.annotations = { 'install.istio.io/istio-version': '1.30', other: 'x' };
    const input = clusterInput(iop);
    assert.deepEqual(input.cluster?.metadata, {
      name: 'main',
      namespace: 'istio-system',
      annotations: { 'install.istio.io/istio-version': '1.30' },
    });
    const { manifest } = renderIstioOperator(input, {});
    assert.equal(manifest.plan.release.minor, '1.30');
    const istiod = manifest.objects.find((o) => o.kind === 'Deployment')!;
    assert.match(JSON.stringify(istiod), /pilot:latest/);
  });

  it('renders a cluster object exactly as the same IstioOperator given as a file', () => {
    const iop = clusterObject();
    const file = yaml.dump({
      apiVersion: iop.apiVersion,
      kind: iop.kind,
      metadata: { name: 'main', namespace: 'istio-system' },
      spec: iop.spec,
    });
    const fromCluster = renderIstioOperator(clusterInput(iop), { asInstalled: {} });
    const fromFile = renderIstioOperator(
      { files: [{ name: 'main.yaml', content: file }] },
      { asInstalled: {} },
    );
    assert.ok(fromCluster.manifest.objects.length > 20);
    assert.equal(
      toYamlDocuments(fromCluster.manifest.objects),
      toYamlDocuments(fromFile.manifest.objects),
    );
    assert.equal(fromCluster.release, fromFile.release);
  });

  it('never writes to the cluster object (the informer cache), and reads nothing outside name, namespace and spec', () => {
    const iop = deepFreeze(clusterObject());
    const before = JSON.stringify(iop);
    const { manifest } = renderIstioOperator(clusterInput(iop));
    assert.equal(JSON.stringify(iop), before);
    // The input is the memo key of controller/desired.ts: server fields and status are not in it.
    const other = clusterObject();
    other.metadata.resourceVersion = '43';
    other.metadata.uid = 'u-2';
    other.status = { status: 'ERROR' };
    assert.equal(JSON.stringify(clusterInput(other)), JSON.stringify(clusterInput(iop)));
    other.spec.revision = 'blue';
    assert.notEqual(JSON.stringify(clusterInput(other)), JSON.stringify(clusterInput(iop)));
    assert.ok(manifest.objects.some((o) => o.metadata.name === 'istiod-canary'));
  });

  it('stops after the merge with render: false (profile dump, validate)', () => {
    const r = renderIstioOperator({ profile: 'minimal' }, { render: false });
    assert.equal(r.iop.spec.profile, 'minimal');
    assert.equal('manifest' in r, false);
  });

  it('hands the warnings over before the renderer refuses the spec', () => {
    const seen: Diagnostic[][] = [];
    const content = yaml.dump({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      spec: {
        values: { pilot: { autoscaleEnabled: null } },
        components: {
          pilot: {
            k8s: {
              overlays: [{ kind: 'Deployment', name: 'nope', patches: [{ path: 'x', value: 1 }] }],
            },
          },
        },
      },
    });
    assert.throws(
      () =>
        renderIstioOperator(
          { files: [{ name: 'a.yaml', content }] },
          { onWarnings: (w) => seen.push(w) },
        ),
      (e: unknown) => e instanceof InvalidSpecError && /overlays\[0\]/.test(e.message),
    );
    assert.equal(seen.length, 1);
    assert.ok(seen[0]!.some((d) => d.path === 'a.yaml: spec.values.pilot.autoscaleEnabled'));
  });
});
