/**
 * Istio's config CRDs, from Istio's published API module, into the renderer.
 *
 * tools/istio-api/<minor>/go.mod pins `istio.io/api` for each Istio line
 * the operator installs; each go.sum pins that module's content. At build time (`npm ci` → `prepare` → scripts/build.ts, and the
 * image's build stage) this asks the Go toolchain for the module (`go mod
 * download`, which verifies it against go.sum), reads
 * `kubernetes/customresourcedefinitions.gen.yaml` — the file istioctl's base
 * chart installs — of every line and writes src/render/generated/istio-crds.ts,
 * one JSON text per distinct CRD (a CRD unchanged between lines is held once)
 * and, per line, which of them it installs. The renderer imports that file, so rendering stays
 * pure (no file reads, no Go at run time), and Istio's CRD text is never
 * committed here: the generated file is git-ignored.
 *
 * It also holds each CRD's `spec` as YAML text, written by the project's own
 * YAML writer (src/yaml/dump.ts), which `manifest generate` pastes
 * instead of writing 17,000 lines on every run.
 *
 * The generated file records a digest of tools/istio-api (go.mod and go.sum)
 * and one of the writer: a build with both unchanged leaves it alone (no Go,
 * no network needed), a changed writer rewrites the texts (no Go either), a
 * changed pin extracts the CRDs again, and test/unit/render/crds.test.ts
 * fails on a file older than either.
 *
 *   node --import tsx scripts/istio-crds.ts      # regenerate now
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { writtenValueText } from '../src/yaml/dump.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The folder of the wrapper modules that pin istio.io/api, one per Istio line (`1.27`, …). */
export const ISTIO_API_TOOLS = join(ROOT, 'tools', 'istio-api');
/** The module and the file in it that holds the CRDs. */
export const ISTIO_API_MODULE = 'istio.io/api';
export const CRD_FILE = 'kubernetes/customresourcedefinitions.gen.yaml';
/** What the build writes (git-ignored). */
export const GENERATED_CRDS = join(ROOT, 'src', 'render', 'generated', 'istio-crds.ts');

/** The Istio lines pinned under tools/istio-api, oldest first (`1.27`, `1.28`, …). */
export async function pinnedLines(toolsDir = ISTIO_API_TOOLS): Promise<string[]> {
  const names = (await readdir(toolsDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && /^\d+\.\d+$/.test(d.name))
    .map((d) => d.name);
  const num = (v: string) => v.split('.').map(Number) as [number, number];
  return names.sort((a, b) => num(a)[0] - num(b)[0] || num(a)[1] - num(b)[1]);
}

/** sha256 (16 hex digits) over every wrapper module's files: changes whenever a pin does. */
export async function pinDigest(toolsDir = ISTIO_API_TOOLS): Promise<string> {
  const h = createHash('sha256');
  for (const line of await pinnedLines(toolsDir)) {
    for (const f of (await readdir(join(toolsDir, line))).sort()) {
      h.update(`${line}/${f}\0`);
      h.update(await readFile(join(toolsDir, line, f)));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** The version of istio.io/api that one line's go.mod requires. */
export async function pinnedApiVersion(lineDir: string): Promise<string> {
  const file = join(lineDir, 'go.mod');
  const m = /^\s*(?:require\s+)?istio\.io\/api\s+(v\S+)/m.exec(await readFile(file, 'utf8'));
  if (!m?.[1]) throw new Error(`${file}: no \`require istio.io/api vX.Y.Z\` line`);
  return m[1];
}

/** The message for a build machine without Go: what is missing and the two ways out. */
export function noGoMessage(version: string): string {
  return (
    `cannot extract Istio's CRDs: the Go toolchain (\`go\`) is not on PATH.\n` +
    `The Istio config CRDs (VirtualService, DestinationRule, …, with their schemas) come from the Go module ` +
    `${ISTIO_API_MODULE} ${version}, pinned in tools/istio-api/<line>/go.mod and verified by its go.sum; ` +
    `the build downloads it with \`go mod download\` (seconds; no compilation).\n` +
    'Fix: install Go 1.24 or newer (https://go.dev/dl/) and run `npm run build` (or `npm ci`) again.'
  );
}

/** Runs `go mod download -json istio.io/api` in one line's wrapper module; returns the module's folder. */
export async function downloadIstioApi(
  lineDir = join(ISTIO_API_TOOLS, '1.27'),
  cacheOnly = false,
): Promise<string> {
  const version = await pinnedApiVersion(lineDir);
  return await downloadGoModule(
    lineDir,
    ISTIO_API_MODULE,
    version,
    noGoMessage(version),
    cacheOnly,
  );
}

/**
 * Runs `go mod download -json MODULE` in a wrapper module under tools/ (whose
 * go.mod requires MODULE at VERSION and whose go.sum verifies it); returns
 * the module's folder in the Go module cache. `noGo` is the error message
 * when `go` is not on PATH.
 */
export async function downloadGoModule(
  toolsDir: string,
  module: string,
  version: string,
  noGo: string,
  /** Only from the local module cache (GOPROXY=off): for tests, which never reach the network. */
  cacheOnly = false,
): Promise<string> {
  const { code, stdout, stderr, missing } = await new Promise<{
    code: number;
    stdout: string;
    stderr: string;
    missing: boolean;
  }>((res) => {
    const p = spawn('go', ['mod', 'download', '-json', module], {
      cwd: toolsDir,
      // -mod=mod: the wrapper has no vendor folder and no sources; go.sum
      // still verifies what is downloaded. GOWORK off: a go.work above the
      // checkout must not change the pin. Tagged versions of these modules
      // are in the checksum database, so GONOSUMDB is not needed.
      env: {
        ...process.env,
        GOFLAGS: '-mod=mod',
        GOWORK: 'off',
        GOTOOLCHAIN: 'local',
        ...(cacheOnly ? { GOPROXY: 'off' } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', (e: NodeJS.ErrnoException) =>
      res({ code: -1, stdout: out, stderr: e.message, missing: e.code === 'ENOENT' }),
    );
    p.on('exit', (c) => res({ code: c ?? -1, stdout: out, stderr: err, missing: false }));
  });
  if (missing) throw new Error(noGo);
  let info: { Dir?: string; Error?: string } = {};
  try {
    info = JSON.parse(stdout || '{}') as typeof info;
  } catch {
    // Reported below with go's own words.
  }
  if (code !== 0 || !info.Dir) {
    throw new Error(
      `go mod download ${module}@${version} (in ${toolsDir}) failed` +
        `${code !== 0 ? ` with exit ${code}` : ''}:\n${(info.Error ?? '') + stderr}`.trim() +
        '\nFix: check the network access to the Go module proxy (GOPROXY), or that ' +
        `${relative(ROOT, toolsDir)}/go.sum matches go.mod (\`cd ${relative(ROOT, toolsDir)} && go mod download ${module}\`).`,
    );
  }
  return info.Dir;
}

/** One CRD: its name and its object as JSON text. */
export interface CrdEntry {
  name: string;
  json: string;
}

/** The YAML writer, whose output for each CRD's spec the generated file holds. */
const WRITER = join(ROOT, 'src', 'yaml', 'dump.ts');

/** sha256 (16 hex digits) of the YAML writer's source: the spec texts are regenerated when it changes. */
export async function writerDigest(file = WRITER): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex')
    .slice(0, 16);
}

/** The CRDs of the module's YAML file, in file order (the order istioctl renders them). */
export function parseCrdFile(text: string): CrdEntry[] {
  const out: CrdEntry[] = [];
  for (const doc of yaml.loadAll(text)) {
    if (doc === null || doc === undefined) continue;
    const o = doc as { kind?: string; metadata?: { name?: string } };
    if (o.kind !== 'CustomResourceDefinition' || !o.metadata?.name) {
      throw new Error(`${CRD_FILE}: expected only CustomResourceDefinitions, found ${o.kind}`);
    }
    out.push({ name: o.metadata.name, json: JSON.stringify(doc) });
  }
  if (out.length === 0) throw new Error(`${CRD_FILE}: no CustomResourceDefinition`);
  return out;
}

/** The CRD data the renderer reads: JSON text and `spec` YAML text per distinct CRD. */
export interface IstioCrdData {
  json: readonly string[];
  /**
   * Each CRD with its `spec`'s fields null, as JSON text: what a render
   * needs at once (the fields are parsed only when read, render/crds.ts).
   */
  head: readonly string[];
  /** Each CRD's `spec` as the YAML writer writes it at nesting level 1 (null: left to js-yaml). */
  specYaml: readonly (string | null)[];
}

/** One Istio line's CRDs: the istio.io/api version, the names in the module's order, and where each is in the data. */
export interface IstioCrdSet {
  apiVersion: string;
  names: readonly string[];
  refs: readonly number[];
}

/**
 * The layout of the generated module. Raise it whenever generatedSource()
 * changes shape: a file of another layout is extracted again, never imported.
 */
export const GENERATED_FORMAT = 4;

/** The small constants of the generated module, written into it and into the offline bundle's stub. */
export function generatedConstants(
  digest: string,
  writer: string,
  sets: Readonly<Record<string, IstioCrdSet>>,
): string {
  return (
    '/** The layout of this file (scripts/istio-crds.ts GENERATED_FORMAT). */\n' +
    `export const GENERATED_FORMAT = ${GENERATED_FORMAT};\n\n` +
    "/** Digest of tools/istio-api (every line's go.mod, go.sum) when this file was generated. */\n" +
    `export const ISTIO_API_PIN_DIGEST = ${JSON.stringify(digest)};\n\n` +
    '/** Digest of src/yaml/dump.ts, the writer of the spec texts. */\n' +
    `export const YAML_WRITER_DIGEST = ${JSON.stringify(writer)};\n\n` +
    `/** Per Istio line: the ${ISTIO_API_MODULE} version, the CRD names in its order, their places in the data. */\n` +
    'export const ISTIO_CRD_SETS: Readonly<Record<string, { apiVersion: string; names: readonly string[]; refs: readonly number[] }>> = ' +
    `${JSON.stringify(sets)};\n`
  );
}

/** Each line's CRDs, deduplicated: a CRD whose JSON is the same in two lines is held once. */
export function crdTables(
  lines: { line: string; apiVersion: string; crds: readonly CrdEntry[] }[],
): {
  json: string[];
  sets: Record<string, IstioCrdSet>;
} {
  const json: string[] = [];
  const at = new Map<string, number>();
  const sets: Record<string, IstioCrdSet> = {};
  for (const l of lines) {
    const refs = l.crds.map((c) => {
      let i = at.get(c.json);
      if (i === undefined) {
        i = json.push(c.json) - 1;
        at.set(c.json, i);
      }
      return i;
    });
    sets[l.line] = { apiVersion: l.apiVersion, names: l.crds.map((c) => c.name), refs };
  }
  return { json, sets };
}

/** Source text of the generated module. */
export function generatedSource(
  digest: string,
  writer: string,
  lines: { line: string; apiVersion: string; crds: readonly CrdEntry[] }[],
): string {
  const { json, sets } = crdTables(lines);
  const data: IstioCrdData = {
    json,
    head: json.map((j) => {
      const crd = JSON.parse(j) as { spec: Record<string, unknown> };
      return JSON.stringify({
        ...crd,
        spec: Object.fromEntries(Object.keys(crd.spec).map((k) => [k, null])),
      });
    }),
    specYaml: json.map((j) => writtenValueText((JSON.parse(j) as { spec: object }).spec) ?? null),
  };
  const from = lines.map((l) => `${l.line}: ${ISTIO_API_MODULE} ${l.apiVersion}`).join(', ');
  return (
    `// Generated by scripts/istio-crds.ts from ${CRD_FILE} of\n` +
    `// ${from}, pinned in tools/istio-api. Do not edit; not committed.\n` +
    '/* eslint-disable */\n\n' +
    generatedConstants(digest, writer, sets) +
    '\n/** Each distinct CRD as JSON text (parsed on use: JSON.parse is cheaper than a JS literal) and its spec as YAML text. */\n' +
    'export function istioCrdData(): { json: readonly string[]; head: readonly string[]; specYaml: readonly (string | null)[] } {\n' +
    '  return DATA;\n' +
    '}\n\n' +
    `const DATA = ${JSON.stringify(data)};\n`
  );
}

/** The digests recorded in an existing generated file, if any. */
async function recorded(file: string): Promise<{ pin?: string; writer?: string; format?: number }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  return {
    pin: /ISTIO_API_PIN_DIGEST = "([0-9a-f]+)"/.exec(text)?.[1],
    writer: /YAML_WRITER_DIGEST = "([0-9a-f]+)"/.exec(text)?.[1],
    format: Number(/GENERATED_FORMAT = (\d+)/.exec(text)?.[1] ?? 1),
  };
}

/**
 * Writes src/render/generated/istio-crds.ts unless it is current for the
 * pins (then nothing runs: no Go needed). Returns what it did.
 */
export async function generateIstioCrds(
  opts: { toolsDir?: string; out?: string; force?: boolean; cacheOnly?: boolean } = {},
): Promise<{ written: boolean; versions: string[]; count?: number }> {
  const toolsDir = opts.toolsDir ?? ISTIO_API_TOOLS;
  const out = opts.out ?? GENERATED_CRDS;
  const linesPinned = await pinnedLines(toolsDir);
  const [digest, writer, versions, old] = await Promise.all([
    pinDigest(toolsDir),
    writerDigest(),
    Promise.all(linesPinned.map((l) => pinnedApiVersion(join(toolsDir, l)))),
    recorded(out),
  ]);
  const sameLayout = old.format === GENERATED_FORMAT;
  if (!opts.force && sameLayout && old.pin === digest && old.writer === writer)
    return { written: false, versions };
  let lines: { line: string; apiVersion: string; crds: CrdEntry[] }[];
  if (!opts.force && sameLayout && old.pin === digest) {
    // Same pins, changed writer: the CRDs are already here, no Go needed.
    const mod = (await import(pathToFileURL(out).href)) as {
      ISTIO_CRD_SETS: Readonly<Record<string, IstioCrdSet>>;
      istioCrdData(): IstioCrdData;
    };
    const { json } = mod.istioCrdData();
    lines = Object.entries(mod.ISTIO_CRD_SETS).map(([line, set]) => ({
      line,
      apiVersion: set.apiVersion,
      crds: set.names.map((name, i) => ({ name, json: json[set.refs[i]!]! })),
    }));
  } else {
    lines = [];
    for (const [i, line] of linesPinned.entries()) {
      const dir = await downloadIstioApi(join(toolsDir, line), opts.cacheOnly);
      lines.push({
        line,
        apiVersion: versions[i]!,
        crds: parseCrdFile(await readFile(join(dir, CRD_FILE), 'utf8')),
      });
    }
  }
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, generatedSource(digest, writer, lines));
  await rename(tmp, out);
  return { written: true, versions, count: crdTables(lines).json.length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  generateIstioCrds({ force: process.argv.includes('--force') }).then(
    (r) =>
      console.log(
        r.written
          ? `wrote ${GENERATED_CRDS}: ${r.count} distinct CRDs from ${ISTIO_API_MODULE} ${r.versions.join(', ')}`
          : `${GENERATED_CRDS} is current for ${ISTIO_API_MODULE} ${r.versions.join(', ')}`,
      ),
    (err: unknown) => {
      console.error((err as Error).message);
      process.exitCode = 1;
    },
  );
}
