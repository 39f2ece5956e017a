import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import {
  buildOffline,
  OFFLINE_BUNDLE,
  OFFLINE_CODE_CACHE,
} from '../../../scripts/offline-bundle.js';
import { buildOfflineProgram, OFFLINE_COMMANDS } from '../../../src/cli/offline.js';
import { buildProgram } from '../../../src/cli/program.js';
import { ROOT, type CliResult } from '../../support/cli.js';
import { runInProcess } from './in-process.js';

/** Runs `node <pkg>/bin/istio-operator.js ARGS` as a user would. */
async function runBin(
  pkg: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return await runFile(process.execPath, [join(pkg, 'bin', 'istio-operator.js'), ...args], env);
}

/** Runs `file ARGS` (Node's flags of this process left out) and collects its output. */
async function runFile(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const p = spawn(file, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    // 'close', not 'exit': output still in the pipes when the process exits would be lost.
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Every help text of a command tree, by command path. */
function helpTexts(cmd: Command, path = cmd.name()): Map<string, string> {
  const out = new Map([[path, cmd.helpInformation()]]);
  for (const c of cmd.commands) {
    for (const [k, v] of helpTexts(c, `${path} ${c.name()}`)) out.set(k, v);
  }
  return out;
}

describe('the offline bundle and bin/istio-operator.js', function () {
  this.timeout(120_000);
  // Inside node_modules so that the packages loaded at run time (and tsx)
  // resolve from the copy as from an installed package.
  const pkg = join(ROOT, 'node_modules', '.cache', `istio-operator-bin-test-${process.pid}`);
  const dist = join(pkg, 'dist');

  before(async () => {
    await rm(pkg, { recursive: true, force: true });
    await mkdir(join(pkg, 'bin'), { recursive: true });
    await mkdir(join(dist, 'cli'), { recursive: true });
    for (const f of ['istio-operator.js', 'package.json']) {
      await copyFile(join(ROOT, 'bin', f), join(pkg, 'bin', f));
    }
    await writeFile(join(pkg, 'package.json'), '{ "type": "module" }\n');
    await buildOffline(dist);
    // A stand-in for the compiled full CLI, so routing is visible.
    await writeFile(join(dist, 'cli', 'main.js'), "process.stdout.write('full program\\n');\n");
    await writeFile(join(dist, 'build-info.json'), '{}\n');
  });
  after(async () => {
    await rm(pkg, { recursive: true, force: true });
  });

  it('lists the same offline commands in bin as in src/cli/offline.ts', async () => {
    const bin = await readFile(join(ROOT, 'bin', 'istio-operator.js'), 'utf8');
    const m = /const OFFLINE_COMMANDS = new Set\(\[([^\]]*)\]\)/.exec(bin);
    assert.ok(m, 'bin/istio-operator.js declares OFFLINE_COMMANDS');
    const names = [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]);
    assert.deepEqual(names.sort(), [...OFFLINE_COMMANDS].sort());
    // The shell line that drops NODE_EXTRA_CA_CERTS for them names the same commands.
    const sh = /\bcase "\$a" in ([\w|]+)\) unset NODE_EXTRA_CA_CERTS/.exec(bin);
    assert.ok(sh, 'the shell line of bin/istio-operator.js lists the offline commands');
    assert.deepEqual(sh[1]!.split('|').sort(), [...OFFLINE_COMMANDS].sort());
  });

  it('started as a program, drops NODE_EXTRA_CA_CERTS for the offline commands only', async () => {
    // As a shell or npm's .bin link starts it: through its #! line. A file
    // that does not exist makes Node warn at start-up whenever it reads it.
    const env = { NODE_EXTRA_CA_CERTS: join(pkg, 'no-such-ca.pem') };
    const exe = join(pkg, 'bin', 'istio-operator.js');
    await chmod(exe, 0o755);
    const run = (args: string[]) => runFile(exe, args, env);
    for (const args of [
      ['manifest', 'generate', '--set', 'profile=minimal'],
      ['--log-level', 'debug', 'profile', 'dump', 'minimal'],
      ['--log-format=json', 'version'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', args.join(' '));
      assert.equal(r.stdout, (await runInProcess(args)).stdout, args.join(' '));
    }
    for (const args of [['status'], ['--log-level', 'debug', 'run'], ['--help']]) {
      const r = await run(args);
      assert.equal(r.stdout, 'full program\n', args.join(' '));
      assert.match(r.stderr, /Ignoring extra certs from .*no-such-ca\.pem/, args.join(' '));
    }
  });

  it('gives the offline commands the same flags and help as the full program', async () => {
    const full = helpTexts(await buildProgram());
    const offline = helpTexts(buildOfflineProgram());
    for (const [path, text] of offline) {
      if (path === 'istio-operator') continue; // lists fewer commands, by design
      assert.equal(text, full.get(path), path);
    }
    assert.deepEqual(
      buildOfflineProgram()
        .commands.map((c) => c.name())
        .sort(),
      [...OFFLINE_COMMANDS].sort(),
    );
    assert.deepEqual(buildOfflineProgram().options, (await buildProgram()).options);
  });

  it('has a code cache that a plain node process accepts', async () => {
    // In a child process: the test runner's own flags (coverage, inspector)
    // could change V8's flags and so the answer.
    const probe =
      "const { readFileSync } = require('node:fs');" +
      "const { Script } = require('node:vm');" +
      'const [file, cache] = process.argv.slice(1);' +
      "const s = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData: readFileSync(cache) });" +
      'const m = { exports: {} };' +
      "s.runInThisContext()(m.exports, require, m, file, '.');" +
      'process.stdout.write(JSON.stringify({ rejected: s.cachedDataRejected, run: typeof m.exports.run }));';
    const r = await new Promise<string>((resolve, reject) => {
      const p = spawn(
        process.execPath,
        ['-e', probe, join(dist, OFFLINE_BUNDLE), join(dist, OFFLINE_CODE_CACHE)],
        {
          env: { PATH: process.env.PATH },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.on('error', reject);
      p.on('exit', () => resolve(out));
    });
    assert.deepEqual(JSON.parse(r), { rejected: false, run: 'function' });
  });

  const corpus = (name: string) => join(ROOT, 'test', 'conformance', 'corpus', name);
  const same: string[][] = [
    ['manifest', 'generate', '--set', 'profile=demo'],
    ['manifest', 'generate', '-f', corpus('overlays-gateway.yaml'), '-o', 'json'],
    ['manifest', 'generate', '-f', corpus('gateways-many.yaml'), '--set', 'revision=canary'],
    ['manifest', 'generate', '--set', 'profile=ambient', '--component', 'ztunnel'],
    ['manifest', 'generate', '--set', 'profile=nonesuch'],
    ['--log-level', 'debug', 'profile', 'dump', 'remote', '-o', 'json'],
    ['profile', 'diff', 'default', 'demo'],
    ['validate', '-f', corpus('meshconfig.yaml'), '-f', join(ROOT, 'package.json')],
    ['version', '-o', 'json'],
    ['manifest', 'generate', '--nonesuch'],
  ];
  for (const args of same) {
    it(`prints exactly what the sources print: ${args.join(' ').replaceAll(ROOT, '')}`, async () => {
      const [bundled, sources] = [await runBin(pkg, args), await runInProcess(args)];
      assert.equal(bundled.stdout, sources.stdout);
      assert.equal(bundled.stderr, sources.stderr);
      assert.equal(bundled.code, sources.code);
    });
  }

  it("keeps a code cache of its own when node flags would void the build's", async () => {
    const home = await mkdtemp(join(tmpdir(), 'iop-v8cache-'));
    try {
      const env = { NODE_OPTIONS: '--max-old-space-size=1024', XDG_CACHE_HOME: home };
      const args = ['manifest', 'generate', '--set', 'profile=minimal'];
      const first = await runBin(pkg, args, env);
      assert.equal(first.code, 0, first.stderr);
      const dir = join(home, 'istio-operator', 'v8cache');
      const [file, ...more] = await readdir(dir);
      assert.ok(file && more.length === 0, 'one cache file');
      assert.match(
        file,
        new RegExp(`^offline-cli-${process.version}-[0-9a-f]{8}-\\d+-\\d+\\.v8cache$`),
      );
      const written = (await stat(join(dir, file))).mtimeMs;
      // The second run is given that cache and V8 takes it, so nothing is rewritten.
      const second = await runBin(pkg, args, env);
      assert.equal(second.stdout, first.stdout);
      assert.deepEqual(await readdir(dir), [file]);
      assert.equal((await stat(join(dir, file))).mtimeMs, written);
      // Without the flags, the build's own cache is used and nothing new is written.
      await runBin(pkg, args, { XDG_CACHE_HOME: home });
      assert.deepEqual(await readdir(dir), [file]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('stops quietly when the reader closes the pipe (manifest generate | head)', async () => {
    const p = spawn(
      process.execPath,
      [join(pkg, 'bin', 'istio-operator.js'), 'manifest', 'generate', '--set', 'profile=demo'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.stdout.once('data', () => p.stdout.destroy());
    const code = await new Promise((resolve) => p.on('exit', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('sends every other command, and help, to dist/cli/main.js', async () => {
    for (const args of [['status'], ['run', '--help'], ['--help'], [], ['--log-level', 'debug']]) {
      const r = await runBin(pkg, args);
      assert.equal(r.stdout, 'full program\n', args.join(' '));
    }
    const r = await runBin(pkg, ['--log-format=json', 'version']);
    assert.match(r.stdout, /^istio-operator \d/);
  });

  it('runs the sources, and says so, when a source is newer than the build', async () => {
    const main = join(pkg, 'src', 'cli', 'main.ts');
    await mkdir(dirname(main), { recursive: true });
    await writeFile(main, "const from: string = 'sources';\nprocess.stdout.write(from + '\\n');\n");
    const built = new Date(Date.now() - 60_000);
    await utimes(join(dist, 'build-info.json'), built, built);
    try {
      const r = await runBin(pkg, ['manifest', 'generate']);
      assert.equal(r.stdout, 'sources\n');
      assert.match(r.stderr, /the sources changed since dist\/ was built; running the TypeScript/);
      await rm(join(dist, 'build-info.json'));
      const r2 = await runBin(pkg, ['version']);
      assert.equal(r2.stdout, 'sources\n');
      assert.match(r2.stderr, /dist\/ is incomplete or from an older build/);
    } finally {
      await rm(join(pkg, 'src'), { recursive: true, force: true });
      await writeFile(join(dist, 'build-info.json'), '{}\n');
    }
  });
});
