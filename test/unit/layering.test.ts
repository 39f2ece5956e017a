import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../support/cli.js';

/** The product: what ships in the operator and the offline renderer. */
const PRODUCT = [
  'src/api',
  'src/profiles',
  'src/translate',
  'src/render',
  'src/yaml',
  'src/diff',
  'src/apply',
  'src/runtime',
  'src/controller',
  'src/install',
  'src/kube',
  'src/workloads',
];

/** The local control plane (tests, demo, `cluster` commands): never reached from the product. */
const FORBIDDEN = 'src/cluster';

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFilesUnder(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The .ts file a relative specifier (`./x.js`, `../y`, `./z/index.js`) names, if there is one. */
function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => /\.m?ts$/.test(c) && existsSync(c) && statSync(c).isFile());
}

/** Relative imports of a file: static, type-only, re-exports and dynamic `import()`. */
function relativeImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'));
}

const rel = (p: string) => relative(ROOT, p).split(sep).join('/');

describe('layering: the product does not import the local control plane', () => {
  it(`no file under ${PRODUCT.join(', ')} reaches ${FORBIDDEN}/ through its imports`, () => {
    const forbidden = join(ROOT, FORBIDDEN) + sep;
    const starts = PRODUCT.flatMap((d) => tsFilesUnder(join(ROOT, d)));
    assert.ok(starts.length > 50, `found only ${starts.length} product files`);
    // One walk over the graph; `via` remembers how each file was first reached.
    const via = new Map<string, string | undefined>(starts.map((f) => [f, undefined]));
    const queue = [...starts];
    const violations: string[] = [];
    while (queue.length > 0) {
      const file = queue.shift()!;
      for (const spec of relativeImports(file)) {
        const target = resolveRelative(file, spec);
        if (!target) continue;
        if (target.startsWith(forbidden)) {
          const chain = [rel(target), rel(file)];
          for (let f = via.get(file); f; f = via.get(f)) chain.push(rel(f));
          violations.push(chain.reverse().join(' -> '));
          continue;
        }
        if (via.has(target)) continue;
        via.set(target, file);
        queue.push(target);
      }
    }
    assert.deepEqual(violations, [], `imports of ${FORBIDDEN}/:\n${violations.join('\n')}`);
  });
});

/**
 * Generic code every layer may use: JSON values, YAML text, diffs. They
 * know nothing of the pipeline, so none imports its layers; the one
 * exception is the plain object type (`render/object.ts`, data only) that
 * a manifest is made of.
 */
const GENERIC = ['src/json', 'src/yaml', 'src/diff'];
const PIPELINE = [
  'api',
  'profiles',
  'translate',
  'render',
  'pipeline',
  'apply',
  'controller',
  'cli',
];
const OBJECT_TYPE = 'src/render/object.ts';

describe('layering: generic code and renderers', () => {
  it(`${GENERIC.join(', ')} import no layer of the pipeline (only ${OBJECT_TYPE})`, () => {
    const layers = PIPELINE.map((d) => join(ROOT, 'src', d) + sep);
    const violations: string[] = [];
    for (const file of GENERIC.flatMap((d) => tsFilesUnder(join(ROOT, d)))) {
      for (const spec of relativeImports(file)) {
        const target = resolveRelative(file, spec);
        if (!target || rel(target) === OBJECT_TYPE) continue;
        if (layers.some((l) => target.startsWith(l)))
          violations.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it('no component renderer imports another (they share through modules both import)', () => {
    // The component renderers are what render/manifest.ts composes: its
    // imports that export a `render<Component>` function. A file named
    // `<component>-*.ts` (pilot-workload.ts) is a part of that component.
    const dir = join(ROOT, 'src', 'render');
    const manifest = join(dir, 'manifest.ts');
    const renderers = relativeImports(manifest)
      .map((spec) => resolveRelative(manifest, spec))
      .filter(
        (f): f is string => !!f && /^export function render[A-Z]/m.test(readFileSync(f, 'utf8')),
      )
      .map((f) => basename(f, '.ts'));
    assert.ok(renderers.length >= 5, `found only the renderers ${renderers.join(', ')}`);
    const componentOf = (file: string): string | undefined => {
      if (dirname(file) !== dir) return undefined;
      const name = basename(file, '.ts');
      return renderers.find((r) => name === r || name.startsWith(`${r}-`));
    };
    const violations: string[] = [];
    for (const file of tsFilesUnder(dir)) {
      const from = componentOf(file);
      if (!from) continue;
      for (const spec of relativeImports(file)) {
        const target = resolveRelative(file, spec);
        const to = target && componentOf(target);
        if (to && to !== from) violations.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    assert.deepEqual(violations, []);
  });
});

/** Relative imports of a file, each with whether it is type-only (`import type`, `export type`). */
function importsWithKind(file: string): { spec: string; typeOnly: boolean }[] {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: { spec: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true
        : node.isTypeOnly;
      out.push({ spec: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push({ spec: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return out.filter((i) => i.spec.startsWith('.'));
}

/** Imports from `dir` (recursively) of files under `layers`, except type-only imports of `typesFrom`. */
function importsOfLayers(dir: string, layers: string[], typesFrom: string[] = []): string[] {
  const roots = layers.map((d) => join(ROOT, 'src', d) + sep);
  const violations: string[] = [];
  for (const file of tsFilesUnder(join(ROOT, 'src', dir))) {
    for (const { spec, typeOnly } of importsWithKind(file)) {
      const target = resolveRelative(file, spec);
      if (!target || (typeOnly && typesFrom.includes(rel(target)))) continue;
      if (roots.some((l) => target.startsWith(l)))
        violations.push(`${rel(file)} -> ${rel(target)}${typeOnly ? ' (types)' : ''}`);
    }
  }
  return violations;
}

describe('layering: apply never calls back up', () => {
  // The applier takes what it applies as data: the rendered components (their
  // type is render's: a component name and plain objects), the hand-overs
  // and the holds the controller decided before the apply.
  const RENDERED_TYPES = ['src/render/object.ts', 'src/render/manifest.ts'];

  it(`src/apply imports nothing of src/controller or src/render (only types of ${RENDERED_TYPES.join(', ')})`, () => {
    assert.deepEqual(importsOfLayers('apply', ['controller', 'render'], RENDERED_TYPES), []);
  });

  it('the check sees a forbidden import (controller/upgrade.ts imports render, not only types)', () => {
    assert.ok(
      importsOfLayers('controller', ['render'], RENDERED_TYPES).some((v) =>
        v.startsWith('src/controller/upgrade.ts -> src/render/names.ts'),
      ),
    );
  });
});

describe('layering: api is the bottom of the pipeline', () => {
  it('no file under src/api imports profiles or any layer above it', () => {
    // api/ parses and validates; the layers after it build on its types. An
    // import the other way (api → profiles) is a check done twice or a cycle.
    const above = PIPELINE.slice(PIPELINE.indexOf('api') + 1).map(
      (d) => join(ROOT, 'src', d) + sep,
    );
    const files = tsFilesUnder(join(ROOT, 'src', 'api'));
    assert.ok(files.length > 10, `found only ${files.length} files under src/api`);
    const violations: string[] = [];
    for (const file of files) {
      for (const spec of relativeImports(file)) {
        const target = resolveRelative(file, spec);
        if (target && above.some((l) => target.startsWith(l)))
          violations.push(`${rel(file)} -> ${rel(target)}`);
      }
    }
    assert.deepEqual(violations, []);
  });
});

describe('layering: the controller runtime knows nothing of Istio', () => {
  // src/runtime is the generic control loop (informers, work queue, leader
  // election, the reconcile frame, the controller): a second reconciler
  // builds on it without touching the IstioOperator one.
  const ISTIO = [
    'api',
    'profiles',
    'translate',
    'render',
    'pipeline',
    'apply',
    'controller',
    'cli',
  ];

  it(`src/runtime imports nothing of ${ISTIO.map((d) => `src/${d}`).join(', ')}`, () => {
    assert.ok(tsFilesUnder(join(ROOT, 'src', 'runtime')).length >= 10);
    assert.deepEqual(importsOfLayers('runtime', ISTIO), []);
  });
});

describe('layering: the workload view is pure', () => {
  // src/workloads decides from plain copies of namespaces, pods and the
  // injectors which pods run a stale proxy: no I/O, no clock, no other layer,
  // so the controller, the CLI and the unit tests get the same answer. The
  // one exception is the vocabulary (names shared with the cluster, data
  // only): the restart planner reads and writes its annotations.
  const ALL = [...PIPELINE, 'runtime', 'kube', 'install', 'cluster', 'log', 'json', 'yaml', 'diff'];
  const VOCABULARY = 'src/api/vocabulary.ts';

  it(`src/workloads imports nothing outside itself (only ${VOCABULARY})`, () => {
    assert.ok(tsFilesUnder(join(ROOT, 'src', 'workloads')).length >= 4);
    const violations = importsOfLayers('workloads', ALL).filter(
      (v) => !/ -> src\/api\/vocabulary\.ts( \(types\))?$/.test(v),
    );
    assert.deepEqual(violations, []);
  });

  it('the vocabulary src/workloads may import imports nothing itself', () => {
    assert.deepEqual(relativeImports(join(ROOT, VOCABULARY)), []);
  });
});
