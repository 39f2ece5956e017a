import type { KubernetesObject } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import {
  compareApiVersions,
  describeKept,
  guardCrds,
  schemaWeight,
  weakening,
} from '../../../src/apply/crd-guard.js';
import { renderIstioCrds } from '../../../src/render/crds.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';

/** 1.27's CRDs: AuthorizationPolicy still stored as v1beta1, which these cases use. */
const R127 = releaseOfMinor('1.27')!;
import { LABELS } from '../../../src/api/vocabulary.js';

type Rec = Record<string, unknown>;

/** Our VirtualService CRD, as rendered and labelled for applying (a copy we may change). */
function ours(): KubernetesObject {
  const vs = renderIstioCrds(R127, new Set()).find(
    (c) => c.metadata.name === 'virtualservices.networking.istio.io',
  )!;
  const copy = structuredClone(vs) as KubernetesObject;
  copy.metadata!.labels = { ...copy.metadata!.labels, [LABELS.version]: R127.patch };
  return copy;
}

function withLabels(o: KubernetesObject, labels: Record<string, string> | undefined) {
  return { ...o, metadata: { ...o.metadata, labels } } as KubernetesObject;
}

const versionsOf = (o: KubernetesObject) => (o as { spec: { versions: Rec[] } }).spec.versions;

describe('apply: never weaken a live CRD', () => {
  it('applies over the same CRD, an older release and an open schema', () => {
    const d = ours();
    assert.equal(weakening(d, ours()), undefined);
    assert.equal(
      weakening(d, withLabels(ours(), { 'app.kubernetes.io/version': '1.26.3' })),
      undefined,
    );
    const open = withLabels(ours(), undefined);
    for (const v of versionsOf(open)) {
      v.schema = {
        openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      };
      delete v.additionalPrinterColumns;
    }
    assert.equal(weakening(d, open), undefined);
  });

  it('keeps a CRD a newer Istio release installed, saying which', () => {
    const live = withLabels(ours(), { 'app.kubernetes.io/version': '1.28.1' });
    assert.match(weakening(ours(), live) ?? '', /installed by Istio 1\.28\.1, newer than .*1\.27/);
  });

  it("never moves this operator's own CRDs of a newer Istio line back to an older one's", () => {
    const live = withLabels(ours(), { [LABELS.version]: '1.99.0' });
    assert.match(
      weakening(ours(), live) ?? '',
      /installed by Istio 1\.99\.0, newer than the Istio 1\.27\.\d+ CRDs/,
    );
    const older = withLabels(ours(), { [LABELS.version]: '1.26.0' });
    assert.equal(weakening(ours(), older), undefined);
  });

  it('keeps an unlabelled CRD that serves a version ours lacks or stores a later one', () => {
    const extra = withLabels(ours(), undefined);
    versionsOf(extra).push({ ...versionsOf(extra)[0]!, name: 'v2', storage: false });
    assert.match(weakening(ours(), extra) ?? '', /serves v2, which the Istio .* CRD does not/);

    const sec = renderIstioCrds(R127, new Set()).find(
      (c) => c.metadata.name === 'authorizationpolicies.security.istio.io',
    )!;
    const liveSec = withLabels(structuredClone(sec) as KubernetesObject, undefined);
    for (const v of versionsOf(liveSec)) v.storage = v.name === 'v1'; // ours stores v1beta1
    assert.match(
      weakening(sec as KubernetesObject, liveSec) ?? '',
      /stores objects as v1, later than v1beta1/,
    );
  });

  it('keeps a CRD whose schema or printer columns say more than ours', () => {
    const richer = withLabels(ours(), { 'app.kubernetes.io/version': R127.patch });
    const v1 = versionsOf(richer).find((v) => v.name === 'v1')!;
    const spec = (v1.schema as { openAPIV3Schema: { properties: { spec: Rec } } }).openAPIV3Schema
      .properties.spec;
    (spec.properties as Rec).extraField = { type: 'string' };
    assert.match(weakening(ours(), richer) ?? '', /its v1 schema says more than/);

    const columns = withLabels(ours(), undefined);
    const cv1 = versionsOf(columns).find((v) => v.name === 'v1')!;
    (cv1.additionalPrinterColumns as Rec[]).push({ name: 'X', type: 'string', jsonPath: '.x' });
    assert.match(weakening(ours(), columns) ?? '', /more printer columns/);
  });

  it('measures schemas by what they say, not by their prose', () => {
    assert.equal(schemaWeight({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }), 0);
    assert.equal(
      schemaWeight({
        description: 'long text '.repeat(50),
        properties: { a: { type: 'string', enum: ['x', 'y'] }, b: { type: 'string' } },
        'x-kubernetes-validations': [{ rule: 'true' }],
      }),
      5,
    );
  });

  it('orders API versions as Kubernetes does', () => {
    assert.ok(compareApiVersions('v1', 'v1beta1') > 0);
    assert.ok(compareApiVersions('v1beta1', 'v1alpha3') > 0);
    assert.ok(compareApiVersions('v2', 'v1') > 0);
    assert.equal(compareApiVersions('v1alpha3', 'v1alpha3'), 0);
  });

  it('splits desired objects into applied and kept, and reports one line per reason', async () => {
    const newer = withLabels(ours(), { 'app.kubernetes.io/version': '1.28.0' });
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x' } };
    const other = renderIstioCrds(R127, new Set()).find(
      (c) => c.metadata.name === 'sidecars.networking.istio.io',
    ) as KubernetesObject;
    const r = await guardCrds([ours(), sa, other], async (name) =>
      name === 'virtualservices.networking.istio.io' ? newer : undefined,
    );
    assert.deepEqual(
      r.apply.map((o) => o.metadata?.name),
      ['x', 'sidecars.networking.istio.io'],
    );
    assert.deepEqual(
      r.kept.map((k) => k.name),
      ['virtualservices.networking.istio.io'],
    );
    const lines = describeKept([
      ...r.kept,
      { name: 'gateways.networking.istio.io', reason: r.kept[0]!.reason },
    ]);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^2 CustomResourceDefinitions \(gateways\.networking\.istio\.io, virtualservices\.networking\.istio\.io\) left as they are: installed by Istio 1\.28\.0/,
    );
  });
});
