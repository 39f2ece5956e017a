import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { runCli } from '../../support/cli.js';
import { runInProcess } from '../cli/in-process.js';

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> } };

describe('istio-operator manifest generate|diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-cli-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('prints the default profile as multi-document YAML, CRDs first', async () => {
    const r = await runInProcess(['manifest', 'generate']);
    assert.equal(r.code, 0, r.stderr);
    const docs = yaml.loadAll(r.stdout) as Doc[];
    // 1.30: no single-replica PDBs (istiod, gateway), one more CRD (TrafficExtension).
    assert.equal(docs.length, 39);
    assert.equal(docs[0]?.kind, 'CustomResourceDefinition');
    assert.ok(docs.some((d) => d.kind === 'Deployment' && d.metadata.name === 'istiod'));
  });

  it('keeps only the named components and prints a JSON List with -o json', async () => {
    const r = await runInProcess(['manifest', 'generate', '--component', 'pilot', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { kind: string; items: Doc[] };
    assert.equal(list.kind, 'List');
    assert.ok(list.items.length > 0);
    for (const o of list.items) {
      assert.equal(o.metadata.labels?.['operator.istio.io/component'], 'Pilot');
    }
  });

  it('applies -f files and -r like profile dump', async () => {
    const f = file(
      'gw.yaml',
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  profile: demo\n',
    );
    const r = await runInProcess(['manifest', 'generate', '-f', f, '-r', 'canary']);
    assert.equal(r.code, 0, r.stderr);
    const names = (yaml.loadAll(r.stdout) as Doc[]).map((d) => `${d.kind}/${d.metadata.name}`);
    assert.ok(names.includes('Deployment/istiod-canary'));
    assert.ok(names.includes('Deployment/istio-egressgateway'));
  });

  it('rejects an unknown --component with the accepted names', async () => {
    const r = await runInProcess(['manifest', 'generate', '--component', 'citadel']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--component citadel: unknown component \(use base, pilot/);
  });

  it('reports a missing file and an invalid spec as user errors', async () => {
    const missing = await runInProcess(['manifest', 'generate', '-f', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.yaml/);
    const bad = await runInProcess(['manifest', 'generate', '--set', 'revision=Not_A_Label']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /spec\.revision/);
  });

  it('names an overlay that matches nothing', async () => {
    const f = file(
      'ov.yaml',
      [
        'apiVersion: install.istio.io/v1alpha1',
        'kind: IstioOperator',
        'spec:',
        '  components:',
        '    pilot:',
        '      k8s:',
        '        overlays:',
        '          - kind: Deployment',
        '            name: not-istiod',
        '            patches: [{path: spec.replicas, value: 2}]',
        '',
      ].join('\n'),
    );
    const r = await runInProcess(['manifest', 'generate', '-f', f]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /overlays\[0\] \(Deployment\/not-istiod\): matches no rendered object/);
  });

  it('diffs two manifests by object and exits 1 when they differ', async () => {
    const a = await runInProcess(['manifest', 'generate']);
    const b = await runInProcess(['manifest', 'generate', '--set', 'profile=demo']);
    const fa = file('a.yaml', a.stdout);
    const fb = file('b.yaml', b.stdout);
    const same = await runInProcess(['manifest', 'diff', fa, fa]);
    assert.equal(same.code, 0);
    assert.equal(same.stdout, 'the manifests are identical\n');
    const d = await runInProcess(['manifest', 'diff', fa, fb]);
    assert.equal(d.code, 1);
    assert.match(d.stdout, /^\+ Deployment istio-system\/istio-egressgateway$/m);
    assert.match(d.stdout, /^- HorizontalPodAutoscaler istio-system\/istiod$/m);
    assert.match(d.stdout, /^~ Deployment istio-system\/istiod$/m);
    assert.match(d.stdout, /spec\.replicas: <absent> -> 1/);
  });

  it('prints byte-identical output from two separate processes', async function () {
    this.timeout(60_000);
    const [a, b] = await Promise.all([
      runCli(['manifest', 'generate', '--set', 'profile=demo']),
      runCli(['manifest', 'generate', '--set', 'profile=demo']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(a.stdout.length > 10_000);
    assert.equal(a.stdout, b.stdout);
  });
});
