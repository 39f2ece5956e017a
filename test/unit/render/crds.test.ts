import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  downloadIstioApi,
  GENERATED_CRDS,
  GENERATED_FORMAT,
  generateIstioCrds,
  parseCrdFile,
  pinDigest,
  writerDigest,
} from '../../../scripts/istio-crds.js';
import { istioCrdNames, renderIstioCrds } from '../../../src/render/crds.js';
import { DEFAULT_RELEASE } from '../../../src/releases/catalog.js';
import {
  ISTIO_API_PIN_DIGEST,
  ISTIO_CRD_SETS,
  istioCrdData,
  YAML_WRITER_DIGEST,
} from '../../../src/render/generated/istio-crds.js';
import type { JsonObject } from '../../../src/json/value.js';
import type { K8sObject } from '../../../src/render/object.js';
import { toYamlDocuments } from '../../../src/render/output.js';
import { dumpYaml, writtenValueText } from '../../../src/yaml/dump.js';
import { find, render } from './helpers.js';

type Rec = Record<string, unknown>;
const at = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v as Rec | undefined)?.[k as string], o);

/** The version entry `name` of a CRD. */
function version(crd: K8sObject, name: string): Rec {
  const v = (at(crd, 'spec', 'versions') as Rec[]).find((x) => x.name === name);
  assert.ok(v, `${crd.metadata.name} serves ${name}`);
  return v;
}

describe("render: Istio's CRDs from istio.io/api", () => {
  it('come from the pinned module as it is now (else: npm run build)', async () => {
    assert.equal(
      ISTIO_API_PIN_DIGEST,
      await pinDigest(),
      'src/render/generated/istio-crds.ts is older than tools/istio-api: run `npm run build`',
    );
    assert.equal(
      YAML_WRITER_DIGEST,
      await writerDigest(),
      'the CRD texts were written by an older src/yaml/dump.ts: run `npm run build`',
    );
    assert.deepEqual(
      Object.fromEntries(Object.entries(ISTIO_CRD_SETS).map(([l, set]) => [l, set.apiVersion])),
      {
        '1.27': 'v1.27.0',
        '1.28': 'v1.28.3',
        '1.29': 'v1.29.6',
        '1.30': 'v1.30.8',
        '1.31': 'v1.31.4',
      },
    );
  });

  it("renders each Istio line's own CRDs: 1.28 stores security policies as v1, 1.30 adds TrafficExtension", () => {
    const crds = (tag: string) =>
      render({ profile: 'default', tag }).objects.filter(
        (o) => o.kind === 'CustomResourceDefinition',
      );
    const storage = (objs: K8sObject[], name: string) =>
      ((objs.find((o) => o.metadata.name === name)!.spec as Rec).versions as Rec[]).find(
        (v) => v.storage,
      )?.name;
    const [v127, v128, v130] = [crds('1.27.9'), crds('1.28.10'), crds('1.30.3')];
    assert.equal(storage(v127, 'authorizationpolicies.security.istio.io'), 'v1beta1');
    assert.equal(storage(v128, 'authorizationpolicies.security.istio.io'), 'v1');
    assert.equal(v127.length, 14);
    assert.equal(v130.length, 15);
    assert.ok(v130.some((o) => o.metadata.name === 'trafficextensions.extensions.istio.io'));
    assert.ok(!v128.some((o) => o.metadata.name === 'trafficextensions.extensions.istio.io'));
  });

  it('renders every CRD of the line with their schemas, CEL rules, printer columns, subresources and categories', () => {
    const m = render({ profile: 'default' });
    const crds = m.objects.filter((o) => o.kind === 'CustomResourceDefinition');
    assert.deepEqual(
      crds.map((c) => c.metadata.name).sort(),
      [...istioCrdNames(DEFAULT_RELEASE)].sort(),
    );
    assert.equal(crds.length, istioCrdNames(DEFAULT_RELEASE).length);
    assert.equal(crds.length, 15, '1.30 (the default line) has 15');
    const vs = find(m, 'CustomResourceDefinition', 'virtualservices.networking.istio.io');
    const v1 = version(vs, 'v1');
    assert.equal(v1.storage, true);
    const http = at(v1, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'http');
    assert.equal(at(http, 'type'), 'array');
    assert.ok(at(http, 'items', 'properties', 'route'), 'spec.http[].route is described');
    assert.ok(at(http, 'items', 'properties', 'match'), 'spec.http[].match is described');
    assert.deepEqual(
      (v1.additionalPrinterColumns as Rec[]).map((c) => c.name),
      ['Gateways', 'Hosts', 'Age'],
    );
    assert.deepEqual(v1.subresources, { status: {} });
    assert.deepEqual(at(vs, 'spec', 'names', 'shortNames'), ['vs']);
    assert.deepEqual(at(vs, 'spec', 'names', 'categories'), ['istio-io', 'networking-istio-io']);
    // CEL rules are there (x-kubernetes-validations), somewhere in the schema.
    assert.match(JSON.stringify(vs.spec), /"x-kubernetes-validations":\[\{"message":/);
    const spec = at(v1, 'schema', 'openAPIV3Schema', 'properties', 'spec') as Rec;
    assert.equal(spec['x-kubernetes-preserve-unknown-fields'], undefined, 'not an open schema');
  });

  it('carries the annotation and labels istioctl puts on them, plus the ownership labels', () => {
    const vs = find(render({}), 'CustomResourceDefinition', 'virtualservices.networking.istio.io');
    assert.deepEqual(vs.metadata.annotations, { 'helm.sh/resource-policy': 'keep' });
    assert.deepEqual(vs.metadata.labels, {
      'app.kubernetes.io/instance': 'istio',
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/part-of': 'istio',
      'install.operator.istio.io/owning-resource': 'test',
      'install.operator.istio.io/owning-resource-namespace': 'istio-system',
      'istio.io/rev': 'default',
      'operator.istio.io/component': 'Base',
      'operator.istio.io/managed': 'Reconcile',
      'operator.istio.io/version': vs.metadata.labels?.['operator.istio.io/version'] ?? '',
    });
  });

  it('keeps base.excludedCRDs and base.enableIstioConfigCRDs working', () => {
    const names = (m: { objects: K8sObject[] }) =>
      m.objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
    const excluded = names(
      render({ values: { base: { excludedCRDs: ['envoyfilters.networking.istio.io'] } } }),
    );
    assert.equal(excluded.length, istioCrdNames(DEFAULT_RELEASE).length - 1);
    assert.ok(!excluded.includes('envoyfilters.networking.istio.io'));
    assert.deepEqual(names(render({ values: { base: { enableIstioConfigCRDs: false } } })), []);
  });

  it('writes each spec from its build-time text exactly as the writer writes it afresh', () => {
    for (const crd of renderIstioCrds(DEFAULT_RELEASE, new Set())) {
      const copy = structuredClone(crd.spec) as JsonObject; // not registered: written afresh
      assert.equal(dumpYaml(crd), dumpYaml({ ...crd, spec: copy }), crd.metadata.name);
      assert.ok(writtenValueText(copy)?.startsWith('\n'), `${crd.metadata.name} needs no js-yaml`);
    }
  });

  it('writes an overlaid CRD with its change (an overlay copies, so the text is not reused)', () => {
    const m = render({
      components: {
        base: {
          k8s: {
            overlays: [
              {
                kind: 'CustomResourceDefinition',
                name: 'sidecars.networking.istio.io',
                patches: [{ path: 'spec.names.shortNames', value: ['sc'] }],
              },
            ],
          },
        },
      },
    });
    const sidecar = find(m, 'CustomResourceDefinition', 'sidecars.networking.istio.io');
    assert.deepEqual(at(sidecar, 'spec', 'names', 'shortNames'), ['sc']);
    assert.match(toYamlDocuments([sidecar]), /\n {4}shortNames:\n {6}- sc\n/);
  });

  it('parses a spec only when something reads it, and then as the module has it', () => {
    const module = istioCrdData();
    const set = ISTIO_CRD_SETS[DEFAULT_RELEASE.minor]!;
    const crds = renderIstioCrds(DEFAULT_RELEASE, new Set());
    const written = crds.map((c) => dumpYaml(c));
    // Written from the build-time text: no field of the spec was read.
    for (const c of crds) {
      for (const k of Object.keys(c.spec as Rec)) {
        assert.ok(Object.getOwnPropertyDescriptor(c.spec, k)?.get, `${c.metadata.name} ${k}`);
      }
    }
    crds.forEach((c, i) => {
      const full = JSON.parse(module.json[set.refs[i]!]!) as { spec: unknown };
      // Reading one field fills them all in; copies and JSON see the parsed spec.
      assert.deepEqual(structuredClone(c.spec), full.spec, c.metadata.name);
      assert.equal(JSON.stringify(c.spec), JSON.stringify(full.spec));
      assert.equal(dumpYaml(c), written[i]);
      assert.equal(dumpYaml({ ...c, spec: structuredClone(c.spec) }), written[i]);
    });
    // A field set before any is read replaces it, and the others are filled in.
    const [d] = renderIstioCrds(DEFAULT_RELEASE, new Set());
    (d!.spec as Rec).scope = 'Cluster';
    assert.equal((d!.spec as Rec).scope, 'Cluster');
    assert.equal((d!.spec as Rec).group, (crds[0]!.spec as Rec).group);
    assert.match(dumpYaml({ ...d!, spec: structuredClone(d!.spec) }), /\n {2}scope: Cluster\n/);
  });

  it('hands out fresh objects: changing one render never shows in the next', () => {
    const [a] = renderIstioCrds(DEFAULT_RELEASE, new Set());
    (a!.spec as Rec).group = 'changed.example';
    const [b] = renderIstioCrds(DEFAULT_RELEASE, new Set());
    assert.notEqual((b!.spec as Rec).group, 'changed.example');
  });

  it("rejects anything but CRDs in the module's file", () => {
    assert.throws(
      () => parseCrdFile('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'),
      /expected only CustomResourceDefinitions, found ConfigMap/,
    );
  });

  it('without Go, fails the build saying what is missing and how to fix it', async () => {
    const saved = process.env.PATH;
    const scratch = await mkdtemp(join(tmpdir(), 'istio-api-'));
    process.env.PATH = join(scratch, 'no-go-here');
    try {
      await assert.rejects(downloadIstioApi(), (e: Error) => {
        assert.match(e.message, /the Go toolchain \(`go`\) is not on PATH/);
        assert.match(
          e.message,
          /istio\.io\/api v1\.27\.\d+, pinned in tools\/istio-api\/<line>\/go\.mod/,
        );
        assert.match(e.message, /install Go 1\.24 or newer/);
        return true;
      });
    } finally {
      process.env.PATH = saved;
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it('extracts again a generated file of an older layout, even with the same pin and writer', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'istio-crds-'));
    const out = join(scratch, 'istio-crds.ts');
    try {
      // What a checkout left by an older build holds: same digests, no format line, no names.
      const old =
        `export const ISTIO_API_PIN_DIGEST = ${JSON.stringify(await pinDigest())};\n` +
        `export const YAML_WRITER_DIGEST = ${JSON.stringify(await writerDigest())};\n`;
      await writeFile(out, old);
      const r = await generateIstioCrds({ out, cacheOnly: true });
      assert.equal(r.written, true, 'an older layout is never taken as current');
      const text = await readFile(out, 'utf8');
      assert.match(text, new RegExp(`GENERATED_FORMAT = ${GENERATED_FORMAT};`));
      assert.equal(text, await readFile(GENERATED_CRDS, 'utf8'), 'the same file the build wrote');
      const again = await generateIstioCrds({ out, cacheOnly: true });
      assert.equal(again.written, false, 'a current file is left alone');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
