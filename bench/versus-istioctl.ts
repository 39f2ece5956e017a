/**
 * bench/versus-istioctl: the operator against istioctl, side by side in one
 * run, for every Istio line whose istioctl is built here (1.27, 1.30, 1.31):
 *  - converge: a demo IstioOperator of the line (tag 1.27.0, or the line's
 *    patch) from `kubectl apply` to HEALTHY, the operator (`istio-operator
 *    run`, compiled, started and synced beforehand) against `istioctl
 *    install -f` of the same file (the whole process: it applies, then waits
 *    until every Deployment is ready, as HEALTHY means). Each run on a fresh
 *    control plane of its own (etcd, kube-apiserver, controller-manager,
 *    scheduler, kwok; ~10 s to start, not timed), so both start from an
 *    empty cluster: the CRDs are created and established inside the timing
 *    on both sides. Operator and istioctl runs alternate (pairs).
 *  - manifest generate: `istio-operator manifest generate --set
 *    profile=demo --set tag=<patch>` started as a user's shell starts it
 *    (bin/istio-operator.js through its #! line), with NODE_EXTRA_CA_CERTS
 *    as this process has it and without, against that line's istioctl;
 *    interleaved runs.
 * Figures: median and min/max of each side, and the ratio of the medians.
 * Prints figures, asserts nothing: this is a benchmark, not a test.
 *
 *   npx tsx bench/versus-istioctl.ts [--pairs 5] [--process-runs 15] [--lines 1.27,1.30,1.31]
 *                                    [--no-converge] [--no-generate]
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { IstioOperator } from '../src/api/types.js';
import {
  binaryVersion,
  ensureBinaries,
  ISTIO_BINARY_LINES,
  istioctlFor,
} from '../src/cluster/binaries.js';
import { startControlPlane, type RunningControlPlane } from '../src/cluster/controlplane.js';
import { KubeClient } from '../src/kube/client.js';
import { releaseOfMinor } from '../src/releases/catalog.js';
import { IOP_RESOURCE } from '../src/api/vocabulary.js';
import { installIstioOperatorCrd } from '../test/support/crd.js';
import {
  demoIop,
  healthy,
  ms,
  option,
  flag,
  sleep,
  spawnOperatorProcess,
  Watch,
} from './support.js';

const PAIRS = flag('--pairs', 5);
const PROCESS_RUNS = flag('--process-runs', 15);
const args = process.argv.slice(2);
const LINES = option('--lines', ISTIO_BINARY_LINES.join(','))
  .split(',')
  .filter((l) => istioctlFor(l));
const BIN = fileURLToPath(new URL('../bin/istio-operator.js', import.meta.url));
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
const NS = 'istio-system';

/** The tag both sides install: istioctl 1.27's own 1.27.0, else the line's patch (istioctl renders any tag). */
function tagOf(line: string): string {
  return line === '1.27' ? '1.27.0' : releaseOfMinor(line)!.patch;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `median (min–max)` of a side. */
function figure(xs: readonly number[]): string {
  return `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;
}

/** Runs a process to its end; its wall time in ms. Rejects with its output when it fails. */
async function timed(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const t = performance.now();
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const p = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], env });
    p.stderr.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-4000)));
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code}\n${out}`)),
    );
  });
  return performance.now() - t;
}

/** A fresh full control plane in a folder of its own; `use` runs with it, then both go. */
async function onFreshCluster<T>(use: (cp: RunningControlPlane) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'istio-operator-vs-'));
  let cp: RunningControlPlane | undefined;
  try {
    cp = await startControlPlane({ dir, mode: 'full' });
    return await use(cp);
  } finally {
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The operator side of one pair: apply → HEALTHY, with `istio-operator run` already synced. */
async function operatorConverge(line: string): Promise<number> {
  return onFreshCluster(async (cp) => {
    const kc = cp.kubeConfig();
    const client = new KubeClient(kc);
    await installIstioOperatorCrd(kc);
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const op = await spawnOperatorProcess(cp.kubeconfig, option('--log-level', 'warn'));
    const iops = new Watch<IstioOperator & KubernetesObject>(kc, client, IOP_RESOURCE);
    try {
      if (!op.compiled) throw new Error('dist/cli/main.js is missing: npm run build first');
      await iops.informer.start();
      for (let i = 0; !(await op.ready()); i++) {
        if (i > 600) throw new Error('istio-operator run not ready after 60 s');
        await sleep(100);
      }
      const t0 = performance.now();
      await client.apply(demoIop(NS, 'demo', { tag: tagOf(line) }));
      await iops.until('HEALTHY', () => healthy(iops.get('demo', NS)), 180_000);
      return performance.now() - t0;
    } finally {
      await iops.informer.stop();
      await op.stop();
    }
  });
}

/** The istioctl side of one pair: `istioctl install -f` of the same IstioOperator, the whole process. */
async function istioctlInstall(line: string, istioctl: string): Promise<number> {
  return onFreshCluster(async (cp) => {
    const file = join(cp.dir, 'iop.yaml');
    const { metadata, ...rest } = demoIop(NS, 'demo', { tag: tagOf(line) });
    await writeFile(file, yaml.dump({ ...rest, metadata: { name: metadata.name } }));
    return timed(istioctl, [
      'install',
      '-f',
      file,
      '-y',
      '--kubeconfig',
      cp.kubeconfig,
      '--readiness-timeout',
      '5m',
    ]);
  });
}

async function converge(line: string, istioctl: string): Promise<void> {
  const ours: number[] = [];
  const theirs: number[] = [];
  console.log(
    `\nconverge ${line} (tag ${tagOf(line)}), ${PAIRS} pairs, each run on a fresh control plane:`,
  );
  for (let i = 1; i <= PAIRS; i++) {
    ours.push(await operatorConverge(line));
    theirs.push(await istioctlInstall(line, istioctl));
    console.log(
      `  ${String(i).padStart(2)}  operator ${ms(ours.at(-1)!).padStart(8)}   istioctl install ${ms(theirs.at(-1)!).padStart(8)}`,
    );
  }
  console.log(
    `  operator ${figure(ours)}, istioctl install ${figure(theirs)}: ` +
      `${(median(theirs) / median(ours)).toFixed(2)}x faster by median`,
  );
}

async function generate(line: string, istioctl: string): Promise<void> {
  const argv = ['manifest', 'generate', '--set', 'profile=demo', '--set', `tag=${tagOf(line)}`];
  // As a user's shell starts them: no tsx, no flags of this process.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const sides = [
    { label: `istio-operator${EXTRA_CA ? ', NODE_EXTRA_CA_CERTS set' : ''}`, cmd: BIN, env },
    ...(EXTRA_CA
      ? [
          {
            label: 'istio-operator, without it',
            cmd: BIN,
            env: { ...env, NODE_EXTRA_CA_CERTS: '' },
          },
        ]
      : []),
    { label: `istioctl ${await binaryVersion(istioctlFor(line)!)}`, cmd: istioctl, env },
  ];
  const times = sides.map(() => [] as number[]);
  for (const s of sides) await timed(s.cmd, argv, s.env); // page cache, code cache
  for (let i = 0; i < PROCESS_RUNS; i++) {
    for (const [j, s] of sides.entries()) times[j]!.push(await timed(s.cmd, argv, s.env));
  }
  const oracle = median(times.at(-1)!);
  console.log(
    `\nmanifest generate ${line} (--set profile=demo --set tag=${tagOf(line)}), ${PROCESS_RUNS} runs each:`,
  );
  for (const [j, s] of sides.entries()) {
    const ratio =
      j < sides.length - 1 ? `   ${(oracle / median(times[j]!)).toFixed(2)}x faster by median` : '';
    console.log(`  ${s.label.padEnd(42)} ${figure(times[j]!)}${ratio}`);
  }
}

async function main(): Promise<void> {
  console.log(
    `versus istioctl (${new Date().toISOString()}, ${cpus().length} cores, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, lines ${LINES.join(' ')})`,
  );
  if (!existsSync(join(BIN, '..', '..', 'dist', 'build-info.json')))
    throw new Error('dist/ is missing: npm run build first (both parts time the built program)');
  for (const line of LINES) {
    const name = istioctlFor(line)!;
    const istioctl = (await ensureBinaries([name], { onProgress: (l) => console.log(l) }))[name];
    if (!args.includes('--no-generate')) await generate(line, istioctl);
    if (!args.includes('--no-converge')) await converge(line, istioctl);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
