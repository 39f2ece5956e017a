import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { IstioOperatorValidationError } from '../../src/api/errors.js';
import { parseIstioOperatorFile } from '../../src/api/parse.js';
import type { Diagnostic } from '../../src/api/types.js';
import { parseManifest } from '../../src/yaml/manifest.js';
import type { K8sObject } from '../../src/render/object.js';
import { allowedLeaves, assertSameManifest, formatShare, type Comparison } from './compare.js';
import {
  FLAG_INPUTS,
  ISTIO_INPUTS,
  istioInputs,
  namedField,
  NULL_AS_ABSENT,
  refusedOnPurpose,
} from './istio-inputs-table.js';
import { ISTIOCTL_BUILD_TIMEOUT_MS, mapLimit, run } from './istioctl.js';
import { renderOurs } from './ours.js';

/** What istioctl did with one input: refused it (naming a field, when it names one), or rendered objects. */
export interface OracleResult {
  input: string;
  refused: boolean;
  /** The field its refusal names (`unknown field "x"`). */
  field?: string;
  objects?: K8sObject[];
}

/** The arguments and input file istioctl is run with for `f` (a file of `dir` when the input is rewritten). */
export async function oracleInput(
  f: string,
  minor: string,
  tag: string,
  dir: string,
): Promise<string[]> {
  let file = join(ISTIO_INPUTS, f);
  if (NULL_AS_ABSENT.includes(f)) {
    file = join(dir, f);
    // The input as we take it: our parser leaves the null fields out.
    const parsed = parseIstioOperatorFile(f, readFileSync(join(ISTIO_INPUTS, f), 'utf8'));
    await writeFile(file, yaml.dump(parsed.object));
  }
  const set = [`tag=${tag}`, ...(refusedOnPurpose(f, minor)?.fixed ?? [])];
  return ['manifest', 'generate', '-f', file, ...set.flatMap((s) => ['--set', s])];
}

/** Runs istioctl on every input (two at a time), as the suites compare them. */
export async function runOracle(
  bin: string,
  minor: string,
  tag: string,
): Promise<Map<string, OracleResult>> {
  const out = new Map<string, OracleResult>();
  const dir = await mkdtemp(join(tmpdir(), 'istio-inputs-'));
  try {
    await mapLimit(istioInputs(), 2, async (f) => {
      const r = await run(bin, await oracleInput(f, minor, tag, dir));
      out.set(f, {
        input: f,
        refused: r.code !== 0,
        ...(r.code !== 0 && namedField(r.stderr) ? { field: namedField(r.stderr) } : {}),
        ...(r.code === 0 ? { objects: parseManifest(r.stdout, `istioctl ${minor}:${f}`) } : {}),
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}

type Outcome =
  { rendered: K8sObject[]; refused?: undefined } | { rendered?: undefined; refused: Diagnostic[] };

function ours(f: string, set: string[]): Outcome {
  try {
    return { rendered: renderOurs(f, readFileSync(join(ISTIO_INPUTS, f), 'utf8'), set) };
  } catch (err) {
    if (err instanceof IstioOperatorValidationError)
      return { refused: err.diagnostics.filter((d) => d.severity === 'error') };
    throw err;
  }
}

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.path}: ${d.message}`).join('; ');

/** The tallies of one suite, printed after it. */
class Tally {
  accepted = 0;
  refused = 0;
  readonly shares: string[] = [];
  /** Per input both render: equal share outside the allow-list, and of every field. */
  readonly figures: { outside: number; all: number }[] = [];

  record(label: string, r: Comparison): void {
    this.shares.push(`    ${formatShare(label, r)}`);
    const outside = r.fields - allowedLeaves(r);
    this.figures.push({
      outside: outside ? r.equal / outside : 1,
      all: r.fields ? r.equal / r.fields : 1,
    });
  }

  print(title: string): void {
    const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
    const stat = (k: 'outside' | 'all') => {
      const xs = this.figures.map((f) => f[k]);
      return xs.length
        ? `worst ${pct(Math.min(...xs))}, mean ${pct(xs.reduce((n, x) => n + x, 0) / xs.length)}`
        : 'none';
    };
    process.stdout.write(
      `\n  ${title}: ${this.accepted} accepted by both, ${this.refused} refused by both; ` +
        `equal fields outside the allow-list: ${stat('outside')}; of every field: ${stat('all')}\n` +
        `${this.shares.join('\n')}\n\n`,
    );
  }
}

/**
 * One input, judged against what istioctl did with it: acceptance must
 * agree (a refusal naming the field istioctl names), except a documented
 * on-purpose refusal, which is compared with its fix applied; an input both
 * render must be equal in every field outside the allow-list. `keep` picks
 * the objects of ours the oracle's record holds (goldens leave some out).
 */
function judge(
  f: string,
  minor: string,
  tag: string,
  theirs: OracleResult,
  tally: Tally,
  keep: (o: K8sObject) => boolean = () => true,
): void {
  const label = f.replace(/\.yaml$/, '');
  const purpose = refusedOnPurpose(f, minor);
  if (purpose) {
    const plain = ours(f, [`tag=${tag}`]);
    assert.ok(plain.refused, `${f}: refused on purpose (${purpose.reason})`);
    assert.ok(
      plain.refused.some((d) => d.path === purpose.path),
      `${f}: our error names ${purpose.path}: ${show(plain.refused)}`,
    );
  }
  if (NULL_AS_ABSENT.includes(f)) {
    const warned = parseIstioOperatorFile(
      f,
      readFileSync(join(ISTIO_INPUTS, f), 'utf8'),
    ).diagnostics.filter((d) => d.severity === 'warning' && /spec\.values/.test(d.path));
    assert.ok(warned.length > 0, `${f}: a warning names the null values field`);
  }
  const mine = ours(f, [`tag=${tag}`, ...(purpose?.fixed ?? [])]);
  if (theirs.refused) {
    assert.ok(mine.refused, `istioctl ${minor} refuses ${f}; we rendered it`);
    if (theirs.field)
      assert.ok(
        mine.refused.some((d) => `${d.path} ${d.message}`.includes(theirs.field!)),
        `istioctl names "${theirs.field}"; ours: ${show(mine.refused)}`,
      );
    tally.refused++;
    return;
  }
  if (!mine.rendered)
    assert.fail(`istioctl ${minor} renders ${f}; we refused it: ${show(mine.refused)}`);
  tally.accepted++;
  assertSameManifest(theirs.objects!, mine.rendered.filter(keep), (r) => tally.record(label, r));
}

/**
 * Istio's inputs against the istioctl of a line compared live (`oracle()`
 * gives its path, built on first use), both sides with `--set tag=<tag>`.
 */
export function describeIstioInputs(
  minor: string,
  tag: string,
  oracle: () => Promise<string>,
): void {
  describe(`conformance: Istio's own manifest-generate inputs, istioctl ${minor} (live, tag ${tag})`, function () {
    const inputs = istioInputs();
    let theirs = new Map<string, OracleResult>();
    const tally = new Tally();

    before(async function () {
      this.timeout(ISTIOCTL_BUILD_TIMEOUT_MS);
      theirs = await runOracle(await oracle(), minor, tag);
    });

    after(() => tally.print(`Istio's inputs, istioctl ${minor}`));

    it(`reads Istio's ${inputs.length} inputs from ../shared (at least 40)`, () => {
      assert.ok(inputs.length >= 40);
    });

    it("says what stands for each istioctl flag Istio's inputs exercise (flag_*, install_package_path)", () => {
      const flagged = inputs.filter((f) => /^(flag_|install_package_path)/.test(f));
      assert.ok(flagged.length >= 3);
      assert.deepEqual(
        flagged.filter((f) => !FLAG_INPUTS[f]),
        [],
      );
    });

    for (const f of inputs) {
      it(`${f.replace(/\.yaml$/, '')}: accepted or refused as istioctl ${minor} does, every field equal`, () =>
        judge(f, minor, tag, theirs.get(f)!, tally));
    }
  });
}

/**
 * Istio's inputs against committed goldens of a line without a live oracle
 * (scripts/conformance-goldens.ts --istio-inputs): what its istioctl did
 * with each, CRDs and the values dump left out on both sides.
 */
export function describeIstioInputGoldens(
  line: { patch: string; minor: string; dir: string },
  keep: (o: K8sObject) => boolean,
): void {
  const { patch, minor, dir } = line;
  describe(`conformance: Istio's own manifest-generate inputs, istioctl ${patch} (committed goldens)`, () => {
    const inputs = istioInputs();
    const tally = new Tally();
    const golden = (f: string) =>
      JSON.parse(readFileSync(join(dir, f.replace(/\.yaml$/, '.json')), 'utf8')) as OracleResult;

    after(() => tally.print(`Istio's inputs, istioctl ${patch} (goldens)`));

    it('has a golden for every input and none for another', () => {
      assert.ok(existsSync(dir), `${dir}: run scripts/conformance-goldens.ts --istio-inputs`);
      const have = readdirSync(dir).map((g) => g.replace(/\.json$/, '.yaml'));
      assert.deepEqual(have.sort(), [...inputs].sort());
    });

    for (const f of inputs) {
      it(`${f.replace(/\.yaml$/, '')}: accepted or refused as istioctl ${patch} did, every field equal`, () =>
        judge(f, minor, patch, golden(f), tally, keep));
    }
  });
}
