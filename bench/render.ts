/**
 * bench/render: how fast the renderer is.
 *  - in process, per built-in profile: the merge + validation of the
 *    IstioOperator (generateIstioOperator), the render alone
 *    (renderManifest) and render + YAML output (what `manifest generate`
 *    prints), median of 100 runs after warm-up;
 *  - in process, per Istio line: render + YAML of the default and demo
 *    profiles with that line's tag;
 *  - whole process: `istio-operator manifest generate --set profile=demo`
 *    as installed from npm (bin/istio-operator.js over a fresh `npm run
 *    build`, which sends it to the offline bundle) against `istioctl
 *    manifest generate --set profile=demo` (the pinned 1.27 oracle), and,
 *    per later line with a module-built istioctl (tools/istio-<line>,
 *    built on first use), the same with `--set tag=<patch>` (the line's
 *    default patch) against that line's istioctl; and
 *    for reference the compiled full program (dist/cli/main.js, what bin ran
 *    before the bundle); runs interleaved, minimum and median of each, and
 *    the ratios. The machine has 2 cores and is often shared: the minimum is
 *    the figure least disturbed by other work, the median the typical one.
 *    --realtime starts each measured process under SCHED_FIFO (`chrt -f
 *    10`; needs root or CAP_SYS_NICE), so that other work cannot preempt
 *    it: the figures of a quiet machine, on a busy one. Both sides alike.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/render.ts [--runs 100] [--process-runs 15] [--realtime]
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { binaryVersion, ensureBinaries, istioctlFor } from '../src/cluster/binaries.js';
import { generateIstioOperator, PROFILE_NAMES } from '../src/profiles/index.js';
import { renderManifest } from '../src/render/manifest.js';
import { toYamlDocuments } from '../src/render/output.js';
import { translate } from '../src/translate/plan.js';
import { RELEASES } from '../src/releases/catalog.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || dflt : dflt;
};
const RUNS = flag('--runs', 100);
const PROCESS_RUNS = flag('--process-runs', 15);
const REALTIME = args.includes('--realtime');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function time(fn: () => void, runs: number): number {
  for (let i = 0; i < 5; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

function inProcess(): void {
  console.log(`in-process, median of ${RUNS} runs (ms):`);
  console.log('  profile             objects   merge+validate   render   render+yaml');
  for (const profile of PROFILE_NAMES) {
    const input = { files: [], set: [`profile=${profile}`] };
    const merged = generateIstioOperator(input);
    const objects = renderManifest(translate(merged)).objects.length;
    const merge = time(() => void generateIstioOperator(input), RUNS);
    const render = time(() => void renderManifest(translate(merged)), RUNS);
    const both = time(() => void toYamlDocuments(renderManifest(translate(merged)).objects), RUNS);
    console.log(
      `  ${profile.padEnd(18)}  ${String(objects).padStart(7)}   ${merge.toFixed(2).padStart(14)}   ${render.toFixed(2).padStart(6)}   ${both.toFixed(2).padStart(11)}`,
    );
  }
}

function inProcessPerLine(): void {
  console.log(`\nin-process per Istio line, render + yaml, median of ${RUNS} runs (ms):`);
  console.log('  line    default    demo   ambient');
  for (const r of RELEASES) {
    const row = ['default', 'demo', 'ambient'].map((profile) => {
      const merged = generateIstioOperator({
        files: [],
        set: [`profile=${profile}`, `tag=${r.patch}`],
      });
      return time(() => void toYamlDocuments(renderManifest(translate(merged)).objects), RUNS);
    });
    console.log(`  ${r.minor.padEnd(6)} ${row.map((x) => x.toFixed(2).padStart(8)).join(' ')}`);
  }
}

/**
 * Node 20 reads every certificate of NODE_EXTRA_CA_CERTS at start-up, before
 * any of our code runs (this machine sets it to the 215 KB system bundle for
 * its package registries: about 40 ms per process). bin's shell line drops it
 * for the offline commands, so bin is started as a shell starts it (through
 * its #! line), and where the variable is set our side is also timed without
 * it, which should then make no difference.
 */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;

async function wall(
  cmd: string,
  argv: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const t = performance.now();
  await new Promise<void>((res, rej) => {
    const [c, a] = REALTIME ? ['chrt', ['-f', '10', cmd, ...argv]] : [cmd, argv];
    const p = spawn(c, a, {
      stdio: ['ignore', 'ignore', 'inherit'],
      // As a user's shell would start it: no tsx, no flags of this process.
      env: { ...process.env, NODE_OPTIONS: '', ...env },
    });
    p.on('error', rej);
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}`))));
  });
  return performance.now() - t;
}

/**
 * Builds the package as `npm run build` does into a scratch folder inside
 * node_modules (so packages resolve; dist/ is left alone) with bin/ beside
 * it, and no src/: bin runs it as an installed package.
 */
async function buildPackage(): Promise<string> {
  const pkg = join(ROOT, 'node_modules', '.cache', 'istio-operator-bench');
  await rm(pkg, { recursive: true, force: true });
  await mkdir(join(pkg, 'bin'), { recursive: true });
  await copyFile(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const f of ['istio-operator.js', 'package.json']) {
    await copyFile(join(ROOT, 'bin', f), join(pkg, 'bin', f));
  }
  await chmod(join(pkg, 'bin', 'istio-operator.js'), 0o755); // started through its #! line
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts', 'build.ts'), '--outdir', join(pkg, 'dist')],
    { stdio: 'inherit' },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`the build exited ${r.status}`);
  return pkg;
}

async function wholeProcess(): Promise<void> {
  const pkg = await buildPackage();
  const { istioctl } = await ensureBinaries(['istioctl'], { onProgress: (l) => console.log(l) });
  const args = ['manifest', 'generate', '--set', 'profile=demo'];
  const sides = [
    {
      label: 'istio-operator (bin, offline bundle)',
      cmd: join(pkg, 'bin', 'istio-operator.js'),
      argv: args,
    },
    {
      label: 'istio-operator (dist/cli/main.js)',
      cmd: process.execPath,
      argv: [join(pkg, 'dist', 'cli', 'main.js'), ...args],
    },
    { label: 'istioctl 1.27.0', cmd: istioctl, argv: args },
    ...(EXTRA_CA
      ? [
          {
            label: 'istio-operator (bin, no extra CA)',
            cmd: join(pkg, 'bin', 'istio-operator.js'),
            argv: args,
            env: { NODE_EXTRA_CA_CERTS: '' },
          },
        ]
      : []),
  ] as { label: string; cmd: string; argv: string[]; env?: Record<string, string> }[];
  const times = sides.map(() => [] as number[]);
  // One untimed run each (page cache), then interleaved, so that a load spike hits every side alike.
  for (const s of sides) await wall(s.cmd, s.argv, s.env);
  for (let i = 0; i < PROCESS_RUNS; i++) {
    for (const [j, s] of sides.entries()) times[j]!.push(await wall(s.cmd, s.argv, s.env));
  }
  const mins = times.map((xs) => Math.min(...xs));
  const medians = times.map(median);
  console.log(
    `\nwhole process, manifest generate --set profile=demo, ${PROCESS_RUNS} runs each${REALTIME ? ', SCHED_FIFO' : ''}:`,
  );
  console.log('                                         min   median');
  for (const [j, s] of sides.entries()) {
    console.log(
      `  ${s.label.padEnd(37)} ${mins[j]!.toFixed(0).padStart(5)} ${medians[j]!.toFixed(0).padStart(8)} ms`,
    );
  }
  const ratio = (j: number) =>
    `${(mins[2]! / mins[j]!).toFixed(2)}x by min, ${(medians[2]! / medians[j]!).toFixed(2)}x by median`;
  console.log(`  istioctl / bin                        ${ratio(0)}`);
  console.log(`  istioctl / dist/cli/main.js           ${ratio(1)}`);
  if (EXTRA_CA) console.log(`  istioctl / bin, no extra CA           ${ratio(3)}`);

  // Each newer line against its own istioctl, where a wrapper module builds one.
  for (const r of RELEASES.filter((x) => x.minor !== '1.27')) {
    const name = istioctlFor(r.minor);
    if (!name) {
      console.log(`\n  ${r.minor}: no module-built istioctl of this line; skipped`);
      continue;
    }
    const oracle = (await ensureBinaries([name], { onProgress: (l) => console.log(l) }))[name];
    const version = await binaryVersion(name);
    const lineArgs = [...args, '--set', `tag=${r.patch}`];
    const bin = join(pkg, 'bin', 'istio-operator.js');
    const pair: { cmd: string; argv: string[]; env?: Record<string, string> }[] = [
      { cmd: bin, argv: lineArgs },
      { cmd: oracle, argv: lineArgs },
      ...(EXTRA_CA ? [{ cmd: bin, argv: lineArgs, env: { NODE_EXTRA_CA_CERTS: '' } }] : []),
    ];
    const t: number[][] = pair.map(() => []);
    for (const s2 of pair) await wall(s2.cmd, s2.argv, s2.env);
    for (let i = 0; i < PROCESS_RUNS; i++)
      for (const [j, s2] of pair.entries()) t[j]!.push(await wall(s2.cmd, s2.argv, s2.env));
    const [om, im] = [median(t[0]!), median(t[1]!)];
    const [on, inn] = [Math.min(...t[0]!), Math.min(...t[1]!)];
    console.log(
      `\n  ${r.minor} (tag ${r.patch}): istio-operator ${on.toFixed(0)} / ${om.toFixed(0)} ms (min/median), ` +
        `istioctl ${version} ${inn.toFixed(0)} / ${im.toFixed(0)} ms: ${(inn / on).toFixed(2)}x by min, ${(im / om).toFixed(2)}x by median`,
    );
    if (EXTRA_CA) {
      const [cm, cn] = [median(t[2]!), Math.min(...t[2]!)];
      console.log(
        `    without extra CA certs: istio-operator ${cn.toFixed(0)} / ${cm.toFixed(0)} ms: ` +
          `${(inn / cn).toFixed(2)}x by min, ${(im / cm).toFixed(2)}x by median`,
      );
    }
  }
}

inProcess();
inProcessPerLine();
await wholeProcess();
