/**
 * bench/render: how fast the renderer is.
 *  - in process, per built-in profile: the merge + validation of the
 *    IstioOperator (generateIstioOperator), the render alone
 *    (renderManifest) and render + YAML output (what `manifest generate`
 *    prints), median of 100 runs after warm-up;
 *  - whole process: `istio-operator manifest generate --set profile=demo`
 *    (compiled JavaScript, as installed from npm) against
 *    `istioctl manifest generate --set profile=demo` (the pinned 1.27
 *    oracle), median of 7 runs each, and the ratio.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/render.ts [--runs 100] [--process-runs 7]
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ensureBinaries } from '../src/cluster/binaries.js';
import { generateIstioOperator, PROFILE_NAMES } from '../src/profiles/index.js';
import { renderManifest } from '../src/render/manifest.js';
import { toYamlDocuments } from '../src/render/output.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || dflt : dflt;
};
const RUNS = flag('--runs', 100);
const PROCESS_RUNS = flag('--process-runs', 7);

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
    const { iop } = generateIstioOperator(input);
    const objects = renderManifest(iop).objects.length;
    const merge = time(() => void generateIstioOperator(input), RUNS);
    const render = time(() => void renderManifest(iop), RUNS);
    const both = time(() => void toYamlDocuments(renderManifest(iop).objects), RUNS);
    console.log(
      `  ${profile.padEnd(18)}  ${String(objects).padStart(7)}   ${merge.toFixed(2).padStart(14)}   ${render.toFixed(2).padStart(6)}   ${both.toFixed(2).padStart(11)}`,
    );
  }
}

async function wall(cmd: string, argv: string[]): Promise<number> {
  const t = performance.now();
  await new Promise<void>((res, rej) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', rej);
    p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${cmd} exited ${code}`))));
  });
  return performance.now() - t;
}

/** Compiles the sources to a scratch folder inside node_modules (so packages resolve; dist/ is left alone). */
function compile(): string {
  const out = join(ROOT, 'node_modules', '.cache', 'istio-operator-bench', 'dist');
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const r = spawnSync(tsc, ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], {
    stdio: 'inherit',
  });
  // tsc still emits when another module has a type error; the CLI only needs the emitted files.
  if (r.error) throw r.error;
  return join(out, 'cli', 'main.js');
}

async function wholeProcess(): Promise<void> {
  const main = compile();
  const { istioctl } = await ensureBinaries(['istioctl'], { onProgress: (l) => console.log(l) });
  const ours = [process.execPath, main, 'manifest', 'generate', '--set', 'profile=demo'];
  const theirs = [istioctl, 'manifest', 'generate', '--set', 'profile=demo'];
  const a: number[] = [];
  const b: number[] = [];
  // Interleaved, so a load spike hits both sides alike.
  for (let i = 0; i < PROCESS_RUNS; i++) {
    a.push(await wall(ours[0]!, ours.slice(1)));
    b.push(await wall(theirs[0]!, theirs.slice(1)));
  }
  const [ma, mb] = [median(a), median(b)];
  console.log(`\nwhole process, manifest generate --set profile=demo, median of ${PROCESS_RUNS}:`);
  console.log(`  istio-operator (node, compiled)  ${ma.toFixed(0)} ms`);
  console.log(`  istioctl 1.27.0                  ${mb.toFixed(0)} ms`);
  console.log(
    `  ratio istioctl / istio-operator  ${(mb / ma).toFixed(2)}x (${mb / ma >= 1 ? 'ours faster' : 'istioctl faster'})`,
  );
}

inProcess();
await wholeProcess();
