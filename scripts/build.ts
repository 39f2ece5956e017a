/**
 * `npm run build` (and so `npm ci`, through `prepare`): everything
 * bin/istio-operator.js runs.
 *  0. Istio's CRDs from the pinned Go module istio.io/api →
 *     src/render/generated/istio-crds.ts (scripts/istio-crds.ts; needs Go
 *     only when the pin changed or the file is missing);
 *  1. tsc: src/ → dist/ (the full CLI, dist/cli/main.js, and the library);
 *  2. esbuild: the offline commands → dist/offline-cli.cjs, plus its V8
 *     code cache (scripts/offline-bundle.ts);
 *  3. dist/build-info.json, written last, its modification time set to the
 *     moment the build started.
 * bin treats dist/ as current only while build-info.json exists and no file
 * under src/ or scripts/ (nor package-lock.json) is newer than it; otherwise
 * it runs the sources through tsx and says so. A failed build removes the
 * stamp first, so it never leaves half a dist/ that looks current.
 *
 *   node --import tsx scripts/build.ts [--outdir DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { GENERATED_CRDS, generateIstioCrds } from './istio-crds.js';
import { buildOffline, OFFLINE_BUNDLE, ROOT } from './offline-bundle.js';

/** The stamp bin/istio-operator.js compares with the sources. */
export const BUILD_STAMP = 'build-info.json';

async function main(): Promise<void> {
  const started = new Date();
  const i = process.argv.indexOf('--outdir');
  const outDir = i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : join(ROOT, 'dist');
  await mkdir(outDir, { recursive: true });
  await rm(join(outDir, BUILD_STAMP), { force: true });

  const crds = await generateIstioCrds();
  if (crds.written) {
    console.log(`extracted ${crds.count} Istio CRDs from istio.io/api ${crds.versions.join(', ')}`);
    // Written by this build: not a source change that makes dist/ stale.
    await utimes(GENERATED_CRDS, started, started);
  }

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir],
    { stdio: 'inherit' },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`tsc exited ${r.status}`);

  const { cache } = await buildOffline(outDir);
  const [bundleSize, cacheSize] = await Promise.all([
    stat(join(outDir, OFFLINE_BUNDLE)).then((s) => s.size),
    stat(cache).then((s) => s.size),
  ]);

  const stamp = join(outDir, BUILD_STAMP);
  const info = {
    startedAt: started.toISOString(),
    node: process.version,
    v8: process.versions.v8,
    offlineBundleBytes: bundleSize,
    codeCacheBytes: cacheSize,
  };
  await writeFile(stamp, JSON.stringify(info, null, 2) + '\n');
  await utimes(stamp, started, started);
  console.log(
    `built ${outDir}: offline bundle ${(bundleSize / 1e6).toFixed(1)} MB, code cache ${(cacheSize / 1e6).toFixed(1)} MB`,
  );
}

main().catch((err: unknown) => {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
