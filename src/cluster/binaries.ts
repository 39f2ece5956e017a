import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A control-plane binary this project can build from a pinned Go module. */
export type BinaryName =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kubectl'
  | 'kwok'
  | 'istioctl'
  | 'pilot-discovery'
  | 'istioctl-1.30'
  | 'pilot-discovery-1.30'
  | 'istioctl-1.31'
  | 'pilot-discovery-1.31'
  | 'kstatus'
  | 'gateway-render'
  | 'helm';

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

/** A wrapper module folder under tools/. */
export type ToolModule =
  | 'k8s'
  | 'etcd'
  | 'kwok'
  | 'istioctl'
  | 'istiod'
  | 'istio-1.30'
  | 'istio-1.31'
  | 'kstatus'
  | 'gateway-render'
  | 'helm';

interface BinarySource {
  /** Wrapper module folder under tools/. */
  module: ToolModule;
  /** Go main package. */
  pkg: string;
}

const ISTIOCTL_PKG = 'istio.io/istio/istioctl/cmd/istioctl';
const PILOT_DISCOVERY_PKG = 'istio.io/istio/pilot/cmd/pilot-discovery';

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
  istioctl: { module: 'istioctl', pkg: ISTIOCTL_PKG },
  // istiod, run locally against what the operator installs (istiod.ts). A
  // wrapper of its own with the same Istio pins: adding it to tools/istioctl
  // would change that cache key and rebuild istioctl; the Go build cache
  // shares the packages both compile.
  'pilot-discovery': { module: 'istiod', pkg: PILOT_DISCOVERY_PKG },
  // The later lines: one wrapper per line holds both (they share one
  // istio.io/istio pin, so one cache folder and most compiled packages).
  'istioctl-1.30': { module: 'istio-1.30', pkg: ISTIOCTL_PKG },
  'pilot-discovery-1.30': { module: 'istio-1.30', pkg: PILOT_DISCOVERY_PKG },
  'istioctl-1.31': { module: 'istio-1.31', pkg: ISTIOCTL_PKG },
  'pilot-discovery-1.31': { module: 'istio-1.31', pkg: PILOT_DISCOVERY_PKG },
  // Our own main package on top of the pinned library.
  kstatus: { module: 'kstatus', pkg: 'istio-operator.invalid/tools/kstatus' },
  // Ours too: istiod's Gateway deployment controller run offline (conformance of kube-gateway/waypoint).
  'gateway-render': {
    module: 'gateway-render',
    pkg: 'istio-operator.invalid/tools/gateway-render',
  },
  helm: { module: 'helm', pkg: 'helm.sh/helm/v3/cmd/helm' },
};

/** The module each wrapper pins, whose version names the cache folder. */
const PINNED_MODULE: Record<ToolModule, string> = {
  k8s: 'k8s.io/kubernetes',
  etcd: 'go.etcd.io/etcd/server/v3',
  kwok: 'sigs.k8s.io/kwok',
  istioctl: 'istio.io/istio',
  istiod: 'istio.io/istio',
  'istio-1.30': 'istio.io/istio',
  'istio-1.31': 'istio.io/istio',
  kstatus: 'sigs.k8s.io/cli-utils',
  'gateway-render': 'istio.io/istio',
  helm: 'helm.sh/helm/v3',
};

/** The repository's tools/ folder (the same relative place from src/ and dist/). */
export const TOOLS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'tools');

/**
 * The version a wrapper module pins, read from its go.mod: the required
 * version of the pinned module, or for Istio (whose tags are not semver, so
 * go.mod holds a pseudo-version) the `// istio-version: X.Y.Z` comment.
 */
export async function pinnedVersion(mod: ToolModule, toolsDir = TOOLS_DIR): Promise<string> {
  const file = join(toolsDir, mod, 'go.mod');
  const gomod = await readFile(file, 'utf8');
  const re =
    PINNED_MODULE[mod] === 'istio.io/istio'
      ? /^\/\/ istio-version: (\S+)/m
      : new RegExp(
          `^\\s*(?:require\\s+)?${PINNED_MODULE[mod].replace(/[.]/g, '\\.')}\\s+(v\\S+)`,
          'm',
        );
  const m = re.exec(gomod);
  if (!m?.[1]) throw new Error(`${file}: cannot find the pinned version of ${PINNED_MODULE[mod]}`);
  return m[1];
}

/**
 * The Istio lines with a module-built istioctl and pilot-discovery, by
 * `major.minor`: the live oracles of conformance and the real istiod of the
 * tests and the demo. The other lines the operator installs (1.28, 1.29)
 * have none: the module proxy serves no istio.io/istio commit of theirs
 * that builds.
 */
const ISTIO_LINE_BINARIES: Readonly<
  Record<string, { istioctl: BinaryName; pilotDiscovery: BinaryName }>
> = {
  '1.27': { istioctl: 'istioctl', pilotDiscovery: 'pilot-discovery' },
  '1.30': { istioctl: 'istioctl-1.30', pilotDiscovery: 'pilot-discovery-1.30' },
  '1.31': { istioctl: 'istioctl-1.31', pilotDiscovery: 'pilot-discovery-1.31' },
};

/** The Istio lines (`1.27`, …) with a module-built istioctl and pilot-discovery, oldest first. */
export const ISTIO_BINARY_LINES: readonly string[] = Object.keys(ISTIO_LINE_BINARIES);

/** The istioctl of an Istio line (`1.30`), or undefined when no wrapper module builds one. */
export function istioctlFor(minor: string): BinaryName | undefined {
  return ISTIO_LINE_BINARIES[minor]?.istioctl;
}

/** The pilot-discovery (istiod) of an Istio line, or undefined when no wrapper module builds one. */
export function pilotDiscoveryFor(minor: string): BinaryName | undefined {
  return ISTIO_LINE_BINARIES[minor]?.pilotDiscovery;
}

/** The wrapper module under tools/ a binary is built from. */
export function moduleOf(name: BinaryName): ToolModule {
  return SOURCES[name].module;
}

/**
 * The version a binary reports: its wrapper's pinned version
 * ({@link pinnedVersion}; for Istio's binaries the release the build stamps,
 * `1.30.4`, which the pinned commit stands for).
 */
export async function binaryVersion(name: BinaryName, toolsDir = TOOLS_DIR): Promise<string> {
  return await pinnedVersion(SOURCES[name].module, toolsDir);
}

/**
 * The cache folder for one wrapper module's binaries:
 * `$XDG_CACHE_HOME/istio-operator/bin/<module>-<version>-<hash>`, where the
 * hash covers that module's go.mod and go.sum, so a change to any pin (even
 * an indirect dependency) builds into a fresh folder and nothing else is
 * rebuilt.
 */
export async function cacheDir(mod: ToolModule, toolsDir = TOOLS_DIR): Promise<string> {
  const h = createHash('sha256');
  // Every file of the wrapper: go.mod, go.sum and, for our own tools, their sources.
  for (const f of (await readdir(join(toolsDir, mod))).sort()) {
    h.update(await readFile(join(toolsDir, mod, f)));
  }
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const key = `${mod}-${await pinnedVersion(mod, toolsDir)}-${h.digest('hex').slice(0, 8)}`;
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

/**
 * The default progress of {@link ensureBinaries}: lines on stderr. A build
 * takes minutes on a cold cache, and a caller that forgot to ask for
 * progress (a test's `before` hook, say) must not leave the user looking at
 * a silent terminal; finding cached binaries prints nothing.
 */
const buildProgressToStderr: Progress = (line) => {
  process.stderr.write(`• [go build] ${line}\n`);
};

/** Options for {@link ensureBinaries}. */
export interface EnsureOptions {
  /** Default {@link buildProgressToStderr}; pass `() => {}` for silence. */
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
  const progress = opts.onProgress ?? buildProgressToStderr;
  const toolsDir = opts.toolsDir ?? TOOLS_DIR;
  const assets = opts.assetsDir ?? process.env.KUBEBUILDER_ASSETS;
  const found: Partial<Record<BinaryName, string>> = {};
  const missing: { name: BinaryName; dir: string }[] = [];
  for (const name of names) {
    const dir = await cacheDir(SOURCES[name].module, toolsDir);
    const fromAssets = assets ? join(assets, name) : undefined;
    if (fromAssets && (await isExecutable(fromAssets))) found[name] = fromAssets;
    else if (await isExecutable(join(dir, name))) found[name] = join(dir, name);
    else missing.push({ name, dir });
  }
  if (missing.length > 0) {
    await requireGo(
      missing.map((m) => m.name),
      assets,
    );
    progress(
      `building ${missing.map((m) => m.name).join(', ')} from pinned Go modules ` +
        `(first use only; several minutes on a cold cache)`,
    );
    for (const [i, { name, dir }] of missing.entries()) {
      const started = Date.now();
      const step = `[${i + 1}/${missing.length}]`;
      await mkdir(dir, { recursive: true });
      await buildBinary(name, dir, toolsDir, (l) => progress(`${step} ${l}`));
      progress(
        `${step} built ${join(dir, name)} in ${((Date.now() - started) / 1000).toFixed(0)}s`,
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

function ldflagsFor(mod: ToolModule, version: string): string {
  if (PINNED_MODULE[mod] === 'istio.io/istio') {
    // Without these istioctl renders hub gcr.io/istio-testing and tag latest,
    // and istiod reports version "unknown".
    return `-s -w -X istio.io/istio/pkg/version.buildVersion=${version} -X istio.io/istio/pkg/version.buildHub=docker.io/istio`;
  }
  if (mod !== 'k8s') return '-s -w';
  // Stamp the real version so /version (read by Helm and clients) is not
  // v0.0.0-master: module zips keep the placeholder upstream replaces at build.
  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(version) ?? [];
  const parts = ['-s', '-w'];
  for (const p of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    parts.push(
      `-X ${p}.gitVersion=${version}`,
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
    // Istio's modules (istio.io/istio, istio.io/api, ...) are reached by
    // pseudo-versions the checksum database does not list (it answers 404);
    // go.sum still pins their hashes.
    GONOSUMDB: [process.env.GONOSUMDB, 'istio.io'].filter(Boolean).join(','),
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
  const version = await pinnedVersion(src.module, toolsDir);
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
      [
        'build',
        '-v',
        '-trimpath',
        ...tags,
        '-ldflags',
        ldflagsFor(src.module, version),
        '-o',
        tmp,
        src.pkg,
      ],
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
