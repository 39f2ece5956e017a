import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { generateIstioOperator } from '../../src/profiles/index.js';
import { ROOT } from '../support/cli.js';

type Obj = Record<string, unknown> & { kind?: string; spec?: Record<string, unknown> };
const load = (rel: string) =>
  (yaml.loadAll(readFileSync(join(ROOT, rel), 'utf8')) as Obj[]).filter(Boolean);
const chartValues = yaml.load(
  readFileSync(join(ROOT, 'charts/istio-operator/values.yaml'), 'utf8'),
) as Record<string, unknown>;

/** Fails on any key that values.yaml does not define. */
function assertKnownValues(values: Record<string, unknown>, where: string): void {
  for (const k of Object.keys(values))
    assert.ok(k in chartValues, `${where}: chart value "${k}" does not exist in values.yaml`);
}

describe('GitOps examples', () => {
  it('Argo CD: the operator chart in wave 0, the IstioOperators in wave 1, paths and values that exist', () => {
    const [op] = load('examples/argocd/operator.yaml');
    const [istio] = load('examples/argocd/istio.yaml');
    const wave = (o: Obj) =>
      (o.metadata as { annotations: Record<string, string> }).annotations[
        'argocd.argoproj.io/sync-wave'
      ];
    assert.equal(op!.kind, 'Application');
    assert.ok(Number(wave(op!)) < Number(wave(istio!)), 'the CRD and operator sync first');
    const src = (o: Obj) =>
      o.spec!.source as { path: string; helm?: { valuesObject: Record<string, unknown> } };
    assert.ok(existsSync(join(ROOT, src(op!).path, 'Chart.yaml')));
    assert.ok(existsSync(join(ROOT, src(istio!).path)));
    assertKnownValues(src(op!).helm!.valuesObject, 'examples/argocd/operator.yaml');
  });

  it('Flux: HelmRelease values exist, the IstioOperators depend on the operator and are waited on', () => {
    const docs = load('examples/flux/operator.yaml');
    const release = docs.find((d) => d.kind === 'HelmRelease')!;
    assertKnownValues(
      release.spec!.values as Record<string, unknown>,
      'examples/flux/operator.yaml',
    );
    const chart = (release.spec!.chart as { spec: { chart: string } }).spec.chart;
    assert.ok(existsSync(join(ROOT, chart, 'Chart.yaml')));
    const [operatorKs, istioKs] = load('examples/flux/istio.yaml');
    assert.deepEqual(istioKs!.spec!.dependsOn, [
      { name: operatorKs!.metadata && (operatorKs!.metadata as { name: string }).name },
    ]);
    assert.equal(istioKs!.spec!.wait, true);
    for (const ks of [operatorKs!, istioKs!])
      assert.ok(existsSync(join(ROOT, ks.spec!.path as string)), `${ks.spec!.path}`);
  });

  for (const dir of ['examples/argocd/iop', 'examples/flux/iop']) {
    it(`${dir}: every IstioOperator is valid`, () => {
      for (const f of readdirSync(join(ROOT, dir))) {
        const content = readFileSync(join(ROOT, dir, f), 'utf8');
        assert.doesNotThrow(
          () => generateIstioOperator({ files: [{ name: f, content }], set: [] }),
          f,
        );
      }
    });
  }

  it('examples/demo.yaml: three valid IstioOperators, the control plane with its gateways disabled', () => {
    const docs = load('examples/demo.yaml');
    assert.deepEqual(
      docs.map((d) => (d.metadata as { name: string }).name),
      ['control-plane', 'ingress', 'egress'],
    );
    for (const d of docs) {
      assert.doesNotThrow(() =>
        generateIstioOperator({ files: [{ name: 'demo', content: JSON.stringify(d) }], set: [] }),
      );
    }
  });
});
