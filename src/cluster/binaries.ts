import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A control-plane binary this project can build from a pinned Go module. */
export type BinaryName =
  'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl' | 'kwok';

/** Binaries `cluster up --minimal` needs. */
export const MINIMAL_BINARIES: readonly BinaryName[] = ['etcd', 'kube-apiserver'];
/** Binaries the full control plane (controllers, scheduler, kwok nodes) needs. */
export const FULL_BINARIES: readonly BinaryName[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
];

interface BinarySource {
  /** Wrapper module folder under tools/. */
  module: 'k8s' | 'etcd' | 'kwok';
  /** Go main package. */
  pkg: string;
}

const SOURCES: Record<BinaryName, BinarySource> = {
  etcd: { module: 'etcd', pkg: 'go.etcd.io/etcd/server/v3' },
  'kube-apiserver': { module: 'k8s', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver' },
  'kube-controller-manager': {
    module: 'k8s',
    pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager',
  },
  'kube-scheduler': { module: 'k8s', pkg: 'k8s.io/kubernetes/cmd/kube-scheduler' },
  kubectl: { module: 'k8s', pkg: 'k8s.io/kubernetes/cmd/kubectl' },
  kwok: { module: 'kwok', pkg: 'sigs.k8s.io/kwok/cmd/kwok' },
};

/** The module each wrapper pins, whose version names the cache folder. */
const PINNED_MODULE: Record<BinarySource['module'], string> = {
  k8s: 'k8s.io/kubernetes',
  etcd: 'go.etcd.io/etcd/server/v3',
  kwok: 'sigs.k8s.io/kwok',
};

/** The repository's tools/ folder (the same relative place from src/ and dist/). */
export const TOOLS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tools');

/** Versions pinned by the wrapper modules, read from their go.mod files. */
export interface PinnedVersions {
  k8s: string;
  etcd: string;
  kwok: string;
}

/** Reads the pinned versions from tools/{k8s,etcd,kwok}/go.mod. */
export async function pinnedVersions(toolsDir = TOOLS_DIR): Promise<PinnedVersions> {
  const out: Partial<PinnedVersions> = {};
  for (const mod of ['k8s', 'etcd', 'kwok'] as const) {
    const gomod = await readFile(join(toolsDir, mod, 'go.mod'), 'utf8');
    const path = PINNED_MODULE[mod].replace(/[.]/g, '\\.');
    const m = new RegExp(`^\\s*(?:require\\s+)?${path}\\s+(v\\S+)`, 'm').exec(gomod);
    if (!m?.[1])
      throw new Error(`${join(toolsDir, mod, 'go.mod')}: no requirement on ${PINNED_MODULE[mod]}`);
    out[mod] = m[1];
  }
  return out as PinnedVersions;
}

/**
 * The cache folder for the pinned versions:
 * `$XDG_CACHE_HOME/istio-operator/bin/k8s-<v>_etcd-<v>_kwok-<v>_<hash>`, where
 * the hash covers every go.mod and go.sum, so any change to a pin (even an
 * indirect dependency) builds into a fresh folder.
 */
export async function cacheDir(toolsDir = TOOLS_DIR): Promise<string> {
  const v = await pinnedVersions(toolsDir);
  const h = createHash('sha256');
  for (const mod of ['k8s', 'etcd', 'kwok']) {
    for (const f of ['go.mod', 'go.sum']) h.update(await readFile(join(toolsDir, mod, f)));
  }
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const key = `k8s-${v.k8s}_etcd-${v.etcd}_kwok-${v.kwok}_${h.digest('hex').slice(0, 8)}`;
  return join(base, 'istio-operator', 'bin', key);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Progress callback: one human-readable line per step. */
export type Progress = (line: string) => void;

/** Options for {@link ensureBinaries}. */
export interface EnsureOptions {
  onProgress?: Progress;
  toolsDir?: string;
  /** Defaults to process.env.KUBEBUILDER_ASSETS. */
  assetsDir?: string | undefined;
}

/**
 * Finds or builds the named binaries and returns their paths. Looks first in
 * `KUBEBUILDER_ASSETS` (what setup-envtest provides, so people without Go can
 * run the tests), then in the version-keyed cache; builds what is missing
 * with the Go toolchain through the module proxy, printing progress.
 */
export async function ensureBinaries(
  names: readonly BinaryName[],
  opts: EnsureOptions = {},
): Promise<Record<BinaryName, string>> {
  const progress = opts.onProgress ?? (() => {});
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  const assets = opts.assetsDir ?? process.env.KUBEBUILDER_ASSETS;
  const dir = await cacheDir(toolsDir);
  const found: Partial<Record<BinaryName, string>> = {};
  const missing: BinaryName[] = [];
  for (const name of names) {
    const fromAssets = assets ? join(assets, name) : undefined;
    if (fromAssets && (await isExecutable(fromAssets))) found[name] = fromAssets;
    else if (await isExecutable(join(dir, name))) found[name] = join(dir, name);
    else missing.push(name);
  }
  if (missing.length > 0) {
    await requireGo(missing, assets);
    await mkdir(dir, { recursive: true });
    progress(`building ${missing.join(', ')} into ${dir} (first use only; several minutes)`);
    for (const [i, name] of missing.entries()) {
      const started = Date.now();
      await buildBinary(name, dir, toolsDir, (l) => progress(`[${i + 1}/${missing.length}] ${l}`));
      progress(
        `[${i + 1}/${missing.length}] built ${name} in ${((Date.now() - started) / 1000).toFixed(0)}s`,
      );
      found[name] = join(dir, name);
    }
  }
  return found as Record<BinaryName, string>;
}

async function requireGo(missing: BinaryName[], assets: string | undefined): Promise<void> {
  const ok = await new Promise<boolean>((res) => {
    const p = spawn('go', ['version'], { stdio: 'ignore' });
    p.on('error', () => res(false));
    p.on('exit', (code) => res(code === 0));
  });
  if (ok) return;
  throw new Error(
    `missing control-plane binaries: ${missing.join(', ')}.\n` +
      (assets ? `KUBEBUILDER_ASSETS=${assets} does not contain them, and ` : '') +
      'the Go toolchain (`go`) is not on PATH to build them.\n' +
      'Fix one of:\n' +
      '  - install Go 1.24 or newer (https://go.dev/dl/) and run the command again; or\n' +
      '  - point KUBEBUILDER_ASSETS at a folder holding etcd and kube-apiserver ' +
      '(e.g. `setup-envtest use -p path 1.34.x`), plus kube-controller-manager, ' +
      'kube-scheduler and kwok for the full control plane.',
  );
}

function ldflagsFor(name: BinaryName, v: PinnedVersions): string {
  if (SOURCES[name].module !== 'k8s') return '-s -w';
  // Stamp the real version so /version (read by Helm and clients) is not
  // v0.0.0-master: module zips keep the placeholder upstream replaces at build.
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(v.k8s) ?? [];
  const parts = ['-s', '-w'];
  for (const p of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    parts.push(
      `-X ${p}.gitVersion=${v.k8s}`,
      `-X ${p}.gitMajor=${major}`,
      `-X ${p}.gitMinor=${minor}`,
      `-X ${p}.gitTreeState=clean`,
      `-X ${p}.buildDate=1970-01-01T00:00:00Z`,
    );
  }
  return parts.join(' ');
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GOWORK: 'off',
    GOFLAGS: '-mod=mod',
    CGO_ENABLED: '0',
  };
}

async function run(args: string[], cwd: string, onLine: (line: string) => void): Promise<void> {
  await new Promise<void>((res, rej) => {
    const p = spawn('go', args, { cwd, env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      onLine(line);
    };
    createInterface({ input: p.stdout }).on('line', collect);
    createInterface({ input: p.stderr }).on('line', collect);
    p.on('error', rej);
    p.on('exit', (code) =>
      code === 0
        ? res()
        : rej(
            new Error(
              `go ${args.join(' ')} (in ${cwd}) failed with exit ${code}:\n${tail.join('\n')}`,
            ),
          ),
    );
  });
}

/**
 * Builds one binary with `go build -v`, counting the packages it compiles
 * against `go list -deps` so a multi-minute cold build shows a percentage.
 */
async function buildBinary(
  name: BinaryName,
  outDir: string,
  toolsDir: string,
  progress: Progress,
): Promise<void> {
  const src = SOURCES[name];
  const cwd = join(toolsDir, src.module);
  const v = await pinnedVersions(toolsDir);
  const tags = src.module === 'k8s' ? ['-tags', 'selinux,notest'] : [];
  progress(`${name}: resolving ${src.pkg} (downloads modules on first use)`);
  let total = 0;
  await run(['list', ...tags, '-deps', src.pkg], cwd, () => (total += 1));
  const tmp = join(outDir, `.${name}.${process.pid}.tmp`);
  let done = 0;
  let lastShown = 0;
  progress(`${name}: compiling up to ${total} packages`);
  try {
    await run(
      ['build', '-v', '-trimpath', ...tags, '-ldflags', ldflagsFor(name, v), '-o', tmp, src.pkg],
      cwd,
      (line) => {
        if (line.startsWith('go: ') || line.includes(' ') || line === '') return;
        done += 1;
        const now = Date.now();
        if (now - lastShown > 5000) {
          lastShown = now;
          progress(
            `${name}: ${done}/${total} packages compiled (${Math.round((100 * done) / Math.max(total, 1))}%)`,
          );
        }
      },
    );
    await rename(tmp, join(outDir, name));
  } finally {
    await rm(tmp, { force: true });
  }
}
