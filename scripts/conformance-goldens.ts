/**
 * Writes the conformance goldens of an Istio line that is compared through
 * committed goldens rather than live: what `istioctl manifest generate`
 * renders for each input of test/conformance/corpus, run by an istioctl of
 * the line's patch, stored under test/conformance/goldens/<patch>/.
 *
 *   node --import tsx scripts/conformance-goldens.ts [--input FILE.yaml …] --istioctl PATH PATCH
 *   node --import tsx scripts/conformance-goldens.ts [--input FILE.yaml …] PATCH …
 *   node --import tsx scripts/conformance-goldens.ts --istio-inputs --istioctl PATH PATCH
 *
 * The oracle is the istioctl given with `--istioctl` (one PATCH), else the
 * istioctl built from the patch line's wrapper module (tools/istioctl,
 * tools/istio-<line>; ensureBinaries), which only the lines compared live
 * have. The goldens that are committed (GOLDEN_PATCHES: 1.28.10, 1.29.6) are
 * frozen: this repository builds no istioctl of those lines, so neither CI
 * nor this script regenerates them without an istioctl of that patch.
 *
 * Same binaries, same corpus: same bytes (objects in istioctl's order, keys
 * sorted, no timestamps). The goldens hold facts, not Istio's text:
 * - no CRDs: crds.json records each CRD's name and a digest of its spec,
 *   which the suite checks against the CRDs we render from istio.io/api;
 * - no injector template text: each template is replaced by a digest of
 *   its text (what the templates yield is compared through kube-inject,
 *   see injection goldens);
 * - no Helm values dump (ConfigMap `values`, a debug copy istiod never reads).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { parseManifest } from '../src/yaml/manifest.js';
import type { K8sObject } from '../src/render/object.js';
import { binaryVersion, ensureBinaries, istioctlFor } from '../src/cluster/binaries.js';
import { isJsonObject, type Json, type JsonObject } from '../src/json/value.js';
import { runOracle } from '../test/conformance/istio-inputs.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Where the corpus lives and where the goldens go. */
export const CORPUS = join(ROOT, 'test', 'conformance', 'corpus');
export const GOLDENS = join(ROOT, 'test', 'conformance', 'goldens');

/**
 * The patches compared through committed goldens: the lines without a
 * module-built istioctl. Frozen data, recorded with an istioctl of each
 * patch that nothing in this repository builds any more; the catalog's
 * default patch of the line may have moved on since (the suites render with
 * `--set tag=<golden's patch>`).
 */
export const GOLDEN_PATCHES: readonly string[] = ['1.28.10', '1.29.6'];

/** The line of a patch: `1.29.6` → `1.29`. */
export function minorOf(patch: string): string {
  return patch.split('.').slice(0, 2).join('.');
}

/** Takes `--name VALUE` out of `args`; the value, or undefined. */
export function takeFlag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  if (!value) throw new Error(`${name} needs a value`);
  return value;
}

/**
 * The istioctl to run as the oracle of `patch`: `explicit` (`--istioctl
 * PATH`) when given, else the one built from the wrapper module of the
 * patch's line (first use builds it). Throws, naming the fix, for a line
 * that has none.
 */
export async function oracleIstioctl(patch: string, explicit?: string): Promise<string> {
  if (explicit) {
    const r = spawnSync(explicit, ['version', '--remote=false'], { encoding: 'utf8' });
    if (r.error || r.status !== 0)
      throw new Error(`--istioctl ${explicit}: does not run (${r.error?.message ?? r.stderr})`);
    process.stderr.write(`oracle for ${patch}: ${explicit} (${r.stdout.trim()})\n`);
    return explicit;
  }
  const name = istioctlFor(minorOf(patch));
  if (!name)
    throw new Error(
      `${patch}: this repository builds no istioctl of ${minorOf(patch)}; ` +
        `pass --istioctl PATH (an istioctl of ${patch}) to use one you have`,
    );
  const bin = (await ensureBinaries([name]))[name];
  process.stderr.write(
    `oracle for ${patch}: ${name} (istioctl ${await binaryVersion(name)}, module-built), --set tag=${patch}\n`,
  );
  return bin;
}

/**
 * The first Istio line a corpus input applies to: a first-line comment
 * `# conformance: from 1.28` (for values an older line's istioctl rejects);
 * undefined: every line.
 */
export function inputFrom(content: string): string | undefined {
  return /^#\s*conformance:\s*from\s+(\d+\.\d+)/.exec(content)?.[1];
}

/** Whether a corpus input applies to a line (`1.27`, …). */
export function appliesTo(content: string, minor: string): boolean {
  const from = inputFrom(content);
  if (from === undefined) return true;
  const n = (v: string) => v.split('.').map(Number) as [number, number];
  const [a, b] = [n(minor), n(from)];
  return a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
}

/** The corpus inputs (file names) that apply to a line. */
export function corpusFor(minor: string): string[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.yaml'))
    .filter((f) => appliesTo(readFileSync(join(CORPUS, f), 'utf8'), minor))
    .sort();
}

/** A CRD's digest in a golden: its spec and annotations (`helm.sh/resource-policy`). */
export function crdDigest(o: K8sObject): string {
  return digest({ spec: o.spec as Json, annotations: (o.metadata.annotations ?? {}) as Json });
}

/** A value with every map's keys sorted, so the same document always prints the same. */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
  return out;
}

/** sha256 of a value's sorted JSON, 16 hex digits. */
export function digest(v: Json | string): string {
  const text = typeof v === 'string' ? v : JSON.stringify(sortKeys(v));
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The stand-in for a template's text in a golden. */
export const templateDigest = (text: string) => `(template text, sha256 ${digest(text)})`;

/** An object as a golden keeps it: injector template texts replaced by digests. */
function redact(o: K8sObject): K8sObject {
  if (o.kind !== 'ConfigMap' || !o.metadata.name.startsWith('istio-sidecar-injector')) return o;
  const data = { ...(o.data as Record<string, string>) };
  const config = yaml.load(data.config ?? '') as JsonObject | undefined;
  if (config && isJsonObject(config.templates ?? null)) {
    const t = config.templates as Record<string, string>;
    for (const k of Object.keys(t)) t[k] = templateDigest(t[k]!);
    data.config = yaml.dump(sortKeys(config), { lineWidth: -1, sortKeys: true });
  }
  return { ...o, data };
}

/** One input's golden: what istioctl rendered, minus CRDs and the values dump, redacted. */
export interface ManifestGolden {
  input: string;
  objects: K8sObject[];
}

/** The CRDs an istioctl installs: name → digest of the spec. */
export type CrdDigests = Record<string, string>;

function istioctlRun(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** Writes test/conformance/goldens/<patch>/{manifest/<input>.json,crds.json}. */
export function writeGoldens(
  patch: string,
  istioctl: string,
  /** Only these corpus inputs (crds.json is then left as it is). */
  only?: readonly string[],
): { inputs: number; bytes: number } {
  const dir = join(GOLDENS, patch);
  mkdirSync(join(dir, 'manifest'), { recursive: true });
  const inputs = corpusFor(minorOf(patch)).filter((f) => !only || only.includes(f));
  let crds: CrdDigests | undefined;
  let bytes = 0;
  for (const f of inputs) {
    const out = istioctlRun(istioctl, [
      'manifest',
      'generate',
      '-f',
      join(CORPUS, f),
      '--set',
      `tag=${patch}`,
    ]);
    const objects = parseManifest(out, `istioctl ${patch}:${f}`);
    const mine: CrdDigests = {};
    for (const o of objects)
      if (o.kind === 'CustomResourceDefinition') mine[o.metadata.name] = crdDigest(o);
    if (
      Object.keys(mine).length &&
      (crds === undefined || Object.keys(mine).length > Object.keys(crds).length)
    )
      crds = mine;
    const kept = objects.filter(inGolden).map(redact).map(sorted);
    const text =
      JSON.stringify({ input: f, objects: kept } satisfies ManifestGolden, null, 1) + '\n';
    writeFileSync(join(dir, 'manifest', f.replace(/\.yaml$/, '.json')), text);
    bytes += text.length;
    process.stderr.write(`  ${patch} ${f}: ${kept.length} objects\n`);
  }
  if (only) return { inputs: inputs.length, bytes };
  const crdText = JSON.stringify(sortKeys(crds ?? {}), null, 1) + '\n';
  writeFileSync(join(dir, 'crds.json'), crdText);
  return { inputs: inputs.length, bytes: bytes + crdText.length };
}

/** Where the goldens of Istio's own inputs for a patch are. */
export const istioInputGoldens = (patch: string) => join(GOLDENS, patch, 'istio-inputs');

/**
 * Writes test/conformance/goldens/<patch>/istio-inputs/<input>.json: what
 * the istioctl of `patch` does with each of Istio's own inputs
 * (../shared/data/istio-manifest-inputs), run as the live suite runs it
 * (test/conformance/istio-inputs.ts): refused (and the field it names), or
 * the objects, kept as the corpus goldens keep them.
 */
export async function writeIstioInputGoldens(
  patch: string,
  istioctl: string,
): Promise<{ inputs: number; bytes: number }> {
  const dir = istioInputGoldens(patch);
  mkdirSync(dir, { recursive: true });
  const results = await runOracle(istioctl, minorOf(patch), patch);
  let bytes = 0;
  for (const [f, r] of [...results].sort(([a], [b]) => a.localeCompare(b))) {
    const golden = {
      input: f,
      refused: r.refused,
      ...(r.field ? { field: r.field } : {}),
      ...(r.objects ? { objects: r.objects.filter(inGolden).map(redact).map(sorted) } : {}),
    };
    const text = JSON.stringify(golden, null, 1) + '\n';
    writeFileSync(join(dir, f.replace(/\.yaml$/, '.json')), text);
    bytes += text.length;
    process.stderr.write(
      `  ${patch} ${f}: ${r.refused ? `refused${r.field ? ` (${r.field})` : ''}` : `${golden.objects!.length} objects`}\n`,
    );
  }
  return { inputs: results.size, bytes };
}

/** What a golden keeps of a render: no CRDs (crds.json digests them), no values dump. */
const inGolden = (o: K8sObject) =>
  o.kind !== 'CustomResourceDefinition' &&
  !(o.kind === 'ConfigMap' && /^values(-.+)?$/.test(o.metadata.name));

const sorted = (o: K8sObject) => sortKeys(o as unknown as Json) as unknown as K8sObject;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const explicit = takeFlag(args, '--istioctl');
  const istioInputsOnly = args.includes('--istio-inputs');
  if (istioInputsOnly) args.splice(args.indexOf('--istio-inputs'), 1);
  const only: string[] = [];
  for (let f = takeFlag(args, '--input'); f; f = takeFlag(args, '--input')) only.push(f);
  if (args.length === 0 || (explicit && args.length !== 1))
    throw new Error(
      'usage: conformance-goldens.ts [--input FILE.yaml …] (--istioctl PATH PATCH | PATCH …)',
    );
  for (const patch of args) {
    const bin = await oracleIstioctl(patch, explicit);
    if (istioInputsOnly) {
      const r = await writeIstioInputGoldens(patch, bin);
      process.stderr.write(
        `${patch}: ${r.inputs} Istio inputs, ${(r.bytes / 1024).toFixed(0)} KiB\n`,
      );
      continue;
    }
    const r = writeGoldens(patch, bin, only.length ? only : undefined);
    process.stderr.write(`${patch}: ${r.inputs} inputs, ${(r.bytes / 1024).toFixed(0)} KiB\n`);
  }
}
