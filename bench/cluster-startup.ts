/**
 * bench/cluster-startup: how long the local control plane takes to get.
 *  - cold build: building every binary from the pinned Go modules into an
 *    empty cache (measured only when the cache is empty, or with --cold, which
 *    builds into a throw-away cache; the Go build cache is not cleared, so
 *    run it on a fresh machine for a truly cold figure);
 *  - warm start: `cluster up` until ready, minimal and full mode, median of 5.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npm run bench:cluster-startup [-- --cold] [-- --runs 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, ensureBinaries, FULL_BINARIES } from '../src/cluster/binaries.js';
import { startControlPlane, type ControlPlaneMode } from '../src/cluster/controlplane.js';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const cold = args.includes('--cold');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function coldBuild(): Promise<void> {
  const cached = existsSync(join(await cacheDir('k8s'), 'kube-apiserver'));
  if (cached && !cold) {
    console.log(
      'cold build: skipped (binaries are cached; pass --cold to build into a scratch cache)',
    );
    return;
  }
  const saved = process.env.XDG_CACHE_HOME;
  const scratch = cold ? await mkdtemp(join(tmpdir(), 'bench-cache-')) : undefined;
  if (scratch) process.env.XDG_CACHE_HOME = scratch;
  const t0 = Date.now();
  await ensureBinaries(FULL_BINARIES, { onProgress: (l) => console.log(`  ${l}`) });
  console.log(
    `cold build of ${FULL_BINARIES.join(', ')}: ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (scratch) {
    process.env.XDG_CACHE_HOME = saved;
    await rm(scratch, { recursive: true, force: true });
  }
}

async function warmStarts(mode: ControlPlaneMode): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), `bench-cp-${mode}-`));
    const t0 = performance.now();
    const cp = await startControlPlane({ dir, mode });
    times.push(performance.now() - t0);
    await cp.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `warm start, ${mode}: median ${(median(times) / 1000).toFixed(2)} s over ${runs} runs ` +
      `(min ${(Math.min(...times) / 1000).toFixed(2)} s, max ${(Math.max(...times) / 1000).toFixed(2)} s)`,
  );
}

await coldBuild();
await ensureBinaries(FULL_BINARIES);
await warmStarts('minimal');
await warmStarts('full');
