/**
 * A private podman: its own storage root, run root and configuration files,
 * so `npm run image` and `npm run test:image` depend on nothing a previous
 * podman user left on the machine (no /etc/containers/storage.conf, no
 * /var/lib/containers, no registries to search) and leave nothing there.
 *
 * The settings are the ones that work on the project's machines (root in a
 * sandbox without a full cgroup hierarchy): the overlay storage driver where
 * the kernel mounts overlayfs, else vfs (which works everywhere but stores
 * every layer as a full copy: a build is about 7 GB and several times
 * slower), runc (crun fails there on cgroups), cgroupfs
 * instead of systemd, no default ulimits (podman's defaults exceed the hard
 * limits there), events in a file (no journald). Containers use the host's
 * network (`--network host`): the build reaches the npm registry, and the
 * test's container reaches the API server on 127.0.0.1.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** A podman store: where its files live and how to call podman on it. */
export interface PodmanStore {
  /** The folder holding storage, run root and configuration. */
  readonly dir: string;
  /** `overlay` or `vfs`. */
  readonly driver: StorageDriver;
  /** podman's run root (outside `dir`, see shortRunRoot). */
  readonly runRoot: string;
  /** Global flags that select this store, for every podman call. */
  readonly globalArgs: readonly string[];
  /** Environment for podman: points it at this store's configuration files. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Where `npm run image` keeps its store, downloads and base images:
 * `$XDG_CACHE_HOME/istio-operator/image` (default ~/.cache/…). Kept between
 * runs so that a second build reuses the bases and the cached layers.
 */
export function defaultImageStateDir(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'istio-operator', 'image');
}

const CONTAINERS_CONF = `# Written by scripts/image-podman.ts: a private podman for the image build and test.
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
`;

/** No registry is searched for short names: every image this project uses is fully qualified. */
const REGISTRIES_CONF = `# Written by scripts/image-podman.ts.
unqualified-search-registries = []
short-name-mode = "enforcing"
`;

function storageConf(driver: StorageDriver, graphroot: string, runroot: string): string {
  return `# Written by scripts/image-podman.ts.\n[storage]\ndriver = "${driver}"\ngraphroot = ${JSON.stringify(graphroot)}\nrunroot = ${JSON.stringify(runroot)}\n`;
}

/**
 * The run root of the store in `dir`: podman's overlay driver refuses a run
 * root longer than 50 characters, so it lives under /run (tmpfs, as run roots
 * should), named by a hash of `dir`.
 */
function shortRunRoot(dir: string): string {
  const id = createHash('sha256').update(dir).digest('hex').slice(0, 10);
  return join(existsSync('/run') ? '/run' : tmpdir(), `iop-image-${id}`);
}

/** The storage drivers a store may use. */
export type StorageDriver = 'overlay' | 'vfs';

/**
 * Whether podman can use native overlayfs here: `podman info` initialises
 * the driver, which mounts a test overlay (and fails without overlayfs or
 * on a backing filesystem it cannot stack on).
 */
function overlayWorks(dir: string): boolean {
  const probe = join(dir, 'overlay-probe');
  const run = join(shortRunRoot(dir), 'probe');
  mkdirSync(probe, { recursive: true });
  const conf = join(probe, 'storage.conf');
  writeFileSync(conf, storageConf('overlay', join(probe, 'root'), run));
  const r = spawnSync(
    'podman',
    [
      '--root',
      join(probe, 'root'),
      '--runroot',
      run,
      '--storage-driver',
      'overlay',
      'info',
      '--format',
      '{{.Store.GraphDriverName}}',
    ],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        CONTAINERS_CONF: join(dir, 'containers.conf'),
        CONTAINERS_STORAGE_CONF: conf,
      },
    },
  );
  rmSync(probe, { recursive: true, force: true });
  rmSync(run, { recursive: true, force: true });
  return r.status === 0 && r.stdout.trim() === 'overlay';
}

/**
 * Creates (or reuses) a store under `dir` and returns how to call podman on
 * it. `driver` defaults to overlay when it works here, else vfs; each driver
 * has its own storage folder (a store cannot change driver).
 */
export function podmanStore(dir: string, driver?: StorageDriver): PodmanStore {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'containers.conf'), CONTAINERS_CONF);
  const chosen = driver ?? (overlayWorks(dir) ? 'overlay' : 'vfs');
  const storage = join(dir, `storage-${chosen}`);
  const run = join(shortRunRoot(dir), chosen);
  for (const d of [storage, run, join(dir, 'tmp')]) mkdirSync(d, { recursive: true });
  const containersConf = join(dir, 'containers.conf');
  const storageConfFile = join(dir, 'storage.conf');
  const registriesConf = join(dir, 'registries.conf');
  writeFileSync(storageConfFile, storageConf(chosen, storage, run));
  writeFileSync(registriesConf, REGISTRIES_CONF);
  return {
    dir,
    driver: chosen,
    runRoot: run,
    globalArgs: [
      '--root',
      storage,
      '--runroot',
      run,
      '--storage-driver',
      chosen,
      '--runtime',
      'runc',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'file',
      '--tmpdir',
      join(run, 'libpod'),
    ],
    env: {
      ...process.env,
      CONTAINERS_CONF: containersConf,
      CONTAINERS_STORAGE_CONF: storageConfFile,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      // Large layer copies and build contexts go here, not to /var/tmp.
      TMPDIR: join(dir, 'tmp'),
    },
  };
}

/** The command line a user can paste to look into a store (printed by the script). */
export function podmanCommandLine(store: PodmanStore): string {
  return [
    `CONTAINERS_CONF=${store.env.CONTAINERS_CONF}`,
    `CONTAINERS_REGISTRIES_CONF=${store.env.CONTAINERS_REGISTRIES_CONF}`,
    'podman',
    ...store.globalArgs,
  ].join(' ');
}

/** Runs podman on the store, output captured; throws with podman's stderr on failure. */
export function podmanSync(store: PodmanStore, args: readonly string[]): string {
  const r = spawnSync('podman', [...store.globalArgs, ...args], {
    env: store.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`podman ${args.join(' ')} exited ${r.status}:\n${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Whether an image is in the store. */
export function imageExists(store: PodmanStore, ref: string): boolean {
  const r = spawnSync('podman', [...store.globalArgs, 'image', 'exists', ref], {
    env: store.env,
    stdio: 'ignore',
  });
  return r.status === 0;
}

/** Runs podman on the store with its output on ours; resolves when it exits 0. */
export function podmanInherit(
  store: PodmanStore,
  args: readonly string[],
  opts: SpawnOptions = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('podman', [...store.globalArgs, ...args], {
      env: store.env,
      stdio: 'inherit',
      ...opts,
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`podman ${args[0]} exited ${signal ?? code}`)),
    );
  });
}
