#!/bin/sh
':' //; s=; for a in "$@"; do if [ -n "$s" ]; then s=; continue; fi; case "$a" in --log-format|--log-level) s=1 ;; --log-format=*|--log-level=*) ;; *) case "$a" in version|profile|manifest|validate) unset NODE_EXTRA_CA_CERTS ;; esac; break ;; esac; done; exec node "$0" "$@"
// Entry point of the `istio-operator` command.
//
// The two lines above are read by the shell, which then starts Node on this
// very file; Node reads the second as a string and a comment. Why a shell
// first: Node 20 reads every certificate named by NODE_EXTRA_CA_CERTS when
// it starts, before any of our code runs (about 40 ms for a 200 kB system
// bundle, which corporate machines and CI runners routinely set): the
// offline commands open no connection, so for them the shell drops the
// variable. Every other command keeps it (a cluster behind a corporate CA,
// an exec credential plugin). The shell finds the command name as
// commandName below does, and its list is OFFLINE_COMMANDS (a unit test
// keeps both in step). `node bin/istio-operator.js` (the container's
// entry point) runs this file as JavaScript directly, variable and all.
//
// With a current build (dist/, made by `npm run build`, which `npm ci` runs
// through `prepare`):
//  - the offline commands (manifest, profile, validate, version) run from
//    dist/offline-cli.cjs, one pre-bundled file compiled with a V8 code
//    cache (see scripts/offline-bundle.ts): they run in CI pipelines, where
//    Node's start-up is most of their time;
//  - every other command, and help, runs dist/cli/main.js.
// Without one it runs the TypeScript sources through tsx, so nobody runs
// stale code by accident: in a checkout (src/ exists), dist/ counts as
// current only while dist/build-info.json exists and nothing under src/,
// scripts/ or tools/istio-api/, nor package-lock.json, is newer than it (the build sets its time
// to when it started). When dist/ exists but is not current, a line on stderr
// says that the sources run instead. An installed package has no src/ and
// always runs dist/.
//
// This file is CommonJS (bin/package.json says so): an ES-module entry point
// costs Node about 4 ms more to start (the ES module loader, and a facade for
// every built-in module imported), a few percent of `manifest generate`.
/* global require, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose, see above */
const {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const ROOT = join(__dirname, '..');
const DIST = join(ROOT, 'dist');

/** Kept in step with OFFLINE_COMMANDS in src/cli/offline.ts by a unit test. */
const OFFLINE_COMMANDS = new Set(['version', 'profile', 'manifest', 'validate']);
/** Global flags that take a separate value (src/cli/root.ts). */
const GLOBAL_FLAGS_WITH_VALUE = new Set(['--log-format', '--log-level']);

/** The subcommand name in argv, or undefined when a flag such as --help comes first (as commandName in src/cli/root.ts). */
function commandName(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (GLOBAL_FLAGS_WITH_VALUE.has(a)) i++;
    else if (a.startsWith('--log-format=') || a.startsWith('--log-level=')) continue;
    else return a.startsWith('-') ? undefined : a;
  }
  return undefined;
}

function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs;
}

/** The newest modification time of a file under `dir` (0 when it does not exist). */
function newest(dir) {
  let max = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : (mtime(p) ?? 0));
  }
  return max;
}

/** Why dist/ cannot be used, or undefined when it is current. */
function staleReason() {
  const built = mtime(join(DIST, 'build-info.json'));
  if (built === undefined) return 'dist/ is incomplete or from an older build';
  if (mtime(join(ROOT, 'src')) === undefined) return undefined; // an installed package
  const sources = Math.max(
    newest(join(ROOT, 'src')),
    newest(join(ROOT, 'scripts')),
    // The istio.io/api pin: a new one means new CRDs (scripts/istio-crds.ts).
    newest(join(ROOT, 'tools', 'istio-api')),
    mtime(join(ROOT, 'package-lock.json')) ?? 0,
  );
  return sources > built ? 'the sources changed since dist/ was built' : undefined;
}

/** FNV-1a of a string, as 8 hex digits: enough to tell flag sets apart in a file name. */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The code cache to compile the bundle with. V8 accepts a cache only from
 * its own version under the same V8 flags, so the build's cache (named for
 * the build's Node, made without node flags) serves only that case. Any
 * other (Node upgraded since the build, NODE_OPTIONS=--max-old-space-size=…
 * as CI jobs often set) gets a cache of its own under $XDG_CACHE_HOME
 * (~/.cache)/istio-operator/v8cache, keyed by Node version, flags and the
 * bundle's size and time, written by the first run that lacks it.
 */
function codeCacheFile(bundle) {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ').trim();
  const built = join(DIST, `offline-cli-${process.version}.v8cache`);
  if (flags === '' && mtime(built) !== undefined) return { file: built, own: false };
  const { size, mtimeMs } = statSync(bundle);
  const home = process.env.XDG_CACHE_HOME || join(require('node:os').homedir(), '.cache');
  const key = `offline-cli-${process.version}-${fnv1a(flags)}`;
  const name = `${key}-${size}-${Math.round(mtimeMs)}.v8cache`;
  return { file: join(home, 'istio-operator', 'v8cache', name), own: true, key };
}

/** Writes the cache bin keeps itself, replacing its older ones for the same Node and flags; best effort. */
function saveOwnCache(target, data) {
  try {
    const dir = dirname(target.file);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) {
      if (f.startsWith(`${target.key}-`)) rmSync(join(dir, f), { force: true });
    }
    const tmp = `${target.file}.${process.pid}`;
    writeFileSync(tmp, data);
    renameSync(tmp, target.file);
  } catch {
    // A read-only home (a container) only means the next run compiles again.
  }
}

/**
 * Loads the offline bundle the way the build's training run does (the same
 * file, compiled as it is), with a code cache that fits this Node; V8 falls
 * back to compiling when there is none or it does not fit.
 */
async function runOffline() {
  const file = join(DIST, 'offline-cli.cjs');
  const cache = codeCacheFile(file);
  let cachedData;
  try {
    cachedData = readFileSync(cache.file);
  } catch {
    // No cache yet: compile from source.
  }
  const script = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  const code = await module.exports.run(process.argv);
  if (cache.own && (cachedData === undefined || script.cachedDataRejected)) {
    saveOwnCache(cache, script.createCachedData());
  }
  // Nothing else is left to do: exit now rather than wait for Node to tear
  // the process down (a few ms), unless output is still queued (stdout is
  // asynchronous for pipes on macOS).
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) {
    process.exit(code);
  }
  process.exitCode = code;
}

async function main() {
  const stale = staleReason();
  if (stale === undefined) {
    if (OFFLINE_COMMANDS.has(commandName(process.argv.slice(2)))) await runOffline();
    else await import(pathToFileURL(join(DIST, 'cli', 'main.js')).href);
  } else if (mtime(join(ROOT, 'src')) === undefined) {
    process.stderr.write(
      `istio-operator: ${stale} and there are no sources; reinstall the package\n`,
    );
    process.exitCode = 2;
  } else {
    if (mtime(DIST) !== undefined) {
      process.stderr.write(
        `istio-operator: ${stale}; running the TypeScript sources through tsx (npm run build to use dist/)\n`,
      );
    }
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(join(ROOT, 'src', 'cli', 'main.ts')).href);
  }
}

main().catch((err) => {
  process.stderr.write(`internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 2;
});
