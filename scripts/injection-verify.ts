/**
 * Verifies our injection templates of an Istio line that is compared
 * through committed records rather than live, with that line's own
 * injector, and records what passed under
 * test/conformance/goldens/<patch>/injection.json.
 *
 *   node --import tsx scripts/injection-verify.ts --istioctl PATH PATCH
 *   node --import tsx scripts/injection-verify.ts PATCH …
 *
 * The oracle is the istioctl given with `--istioctl` (one PATCH), else the
 * istioctl built from the patch line's wrapper module, which only the lines
 * compared live have (their injection is checked by injection.test.ts
 * anyway). The committed records (1.28.10, 1.29.6) are frozen: this
 * repository builds no istioctl of those lines.
 *
 * For each patch and each case of test/conformance/injection-cases.ts the
 * line has: that patch's istioctl renders the injector's inputs (`manifest
 * generate` of the case's IstioOperator with `--set tag=<patch>`), we
 * render ours from the same input, and that istioctl's `kube-inject` (the
 * line's own injector: its template functions, its pod merge) injects the
 * sample workloads once with each side's config/values/mesh files. The
 * injected objects are compared field by field with the `injection`
 * allow-list, as test/conformance/injection.test.ts does live.
 *
 * This exercises the pod templates: `sidecar` (also as a native sidecar,
 * with CNI, ambient, revisions), `gateway`, `grpc-agent` and `grpc-simple`.
 * `kube-gateway`, `waypoint` and `agentgateway` are not pod overlays:
 * istiod's Gateway deployment controller executes them per Gateway, and
 * kube-inject never does, so this script cannot exercise them (1.27's are
 * checked through istiod's controller by gateway-templates.test.ts). Their
 * digests are recorded all the same, so a change to any template of a
 * verified line shows up in injection-goldens.test.ts.
 *
 * The record holds no Istio text: per template the sha256 (16 hex digits)
 * of OUR text that passed, the cases and how many fields each compared.
 * It is written only when every case of the patch has no unexplained
 * difference; the exit code is non-zero otherwise.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseOfMinor, type IstioMinor, type IstioRelease } from '../src/releases/catalog.js';
import { injectionTemplates } from '../src/render/injection/templates.js';
import { compareObjects, formatDifferences, staleAllowances } from '../test/conformance/compare.js';
import { casesFor, injectCase } from '../test/conformance/injection-cases.js';
import { digest, GOLDENS, minorOf, oracleIstioctl, takeFlag } from './conformance-goldens.js';

/** One case's outcome in the record. */
export interface InjectionCaseRecord {
  name: string;
  /** Fields (leaves of both sides' injected objects) the comparison counted. */
  fields: number;
  /** Of those, equal on both sides. */
  equal: number;
  /** Differences the allow-list explains (intended, documented). */
  allowed: number;
}

/** test/conformance/goldens/<patch>/injection.json. */
export interface InjectionRecord {
  patch: string;
  /** Template name → sha256 (16 hex) of our text verified with this patch's injector. */
  templates: Record<string, string>;
  /** Templates the verification could not exercise (not pod overlays). */
  notExercised: string[];
  cases: InjectionCaseRecord[];
}

/** The templates kube-inject cannot execute (istiod's Gateway deployment controller does). */
export const NOT_EXERCISED = ['kube-gateway', 'waypoint', 'agentgateway'];

/** Digests of our template texts for a release line. */
export function templateDigests(release: IstioRelease): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(injectionTemplates(release)).sort(([a], [b]) =>
    a.localeCompare(b),
  ))
    out[name] = digest(text);
  return out;
}

/** The release line of a patch (`1.29.6` → 1.29). */
export function releaseOfPatch(patch: string): IstioRelease {
  const r = releaseOfMinor(minorOf(patch));
  if (!r) throw new Error(`${patch}: not a release line this build carries`);
  return r;
}

/** Verifies one patch; returns whether every case passed (and the record was written). */
async function verify(patch: string, istioctl: string, dir: string): Promise<boolean> {
  const release = releaseOfPatch(patch);
  const cases: InjectionCaseRecord[] = [];
  let failed = 0;
  for (const c of casesFor(release.minor as IstioMinor)) {
    let line: string;
    try {
      const { oracle, ours } = await injectCase(istioctl, patch, c, dir);
      const r = compareObjects('injection', oracle, ours);
      cases.push({ name: c.name, fields: r.fields, equal: r.equal, allowed: r.allowed.length });
      line = `${patch} ${c.name}: ${r.fields} fields compared, ${r.equal} equal, ${r.allowed.length} allowed, ${r.unexplained.length} unexplained`;
      if (oracle.length !== 12 || ours.length !== 12) {
        failed++;
        line += ` — expected 12 workloads back (istioctl ${oracle.length}, ours ${ours.length})`;
      }
      if (r.unexplained.length) {
        failed++;
        line += `\n${formatDifferences(r.unexplained)}`;
      }
    } catch (e) {
      failed++;
      line = `${patch} ${c.name}: FAILED ${(e as Error).message}`;
    }
    process.stdout.write(`${line}\n`);
  }
  if (failed) {
    process.stdout.write(`${patch}: ${failed} case(s) not equal; record not written\n`);
    return false;
  }
  const record: InjectionRecord = {
    patch,
    templates: templateDigests(release),
    notExercised: NOT_EXERCISED.filter((n) => n in injectionTemplates(release)),
    cases,
  };
  mkdirSync(join(GOLDENS, patch), { recursive: true });
  writeFileSync(join(GOLDENS, patch, 'injection.json'), JSON.stringify(record, null, 1) + '\n');
  process.stdout.write(`${patch}: all ${cases.length} cases equal; wrote injection.json\n`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const explicit = takeFlag(args, '--istioctl');
  if (args.length === 0 || (explicit && args.length !== 1))
    throw new Error('usage: injection-verify.ts (--istioctl PATH PATCH | PATCH …)');
  const dir = mkdtempSync(join(tmpdir(), 'injection-verify-'));
  let ok = true;
  try {
    for (const patch of args)
      ok = (await verify(patch, await oracleIstioctl(patch, explicit), dir)) && ok;
    const stale = staleAllowances('injection');
    if (stale.length) process.stdout.write(`injection allow-list entries unused here: ${stale}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = ok ? 0 : 1;
}
