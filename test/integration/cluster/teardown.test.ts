import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ControlPlaneState } from '../../../src/cluster/controlplane.js';
import { isAlive } from '../../../src/cluster/process.js';
import { waitFor } from '../../../src/cluster/health.js';
import { ROOT } from '../../support/cli.js';

/** A child mocha run (the `mocha` command: a parent that runs the tests in a child) holding a control plane. */
interface HeldRun {
  mocha: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The control plane's folder, and the processes its state file records. */
  dir: string;
  state: ControlPlaneState;
  /** The pid of the process that runs the tests (mocha's child). */
  testPid: number;
  output: () => string;
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts `mocha` on a fixture that starts a control plane and waits; returns once it holds one. */
async function holdControlPlane(fixture: string, opts: { group?: boolean } = {}): Promise<HeldRun> {
  const mocha = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/mocha/bin/mocha.js'),
      '--no-config',
      '--node-option',
      'import=tsx',
      '--require',
      'test/support/hooks.ts',
      '--extension',
      'ts',
      fixture,
    ],
    // A process group of its own when the test signals the whole group, as `timeout` does.
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.group ?? false },
  );
  let out = '';
  mocha.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  mocha.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    mocha.on('exit', (code, signal) => res({ code, signal })),
  );
  let held: RegExpExecArray | null = null;
  try {
    await waitFor(
      'child test run holding a control plane',
      async () => {
        held = /^HOLDING (\S+)(?: (\d+))?$/m.exec(out);
        return held !== null;
      },
      150_000,
      () => (mocha.exitCode !== null ? `child exited early:\n${out}` : undefined),
      200,
    );
  } catch (e) {
    mocha.kill('SIGKILL');
    throw e;
  }
  const [, dir, pid] = held! as RegExpExecArray;
  const state = JSON.parse(readFileSync(join(dir!, 'state.json'), 'utf8')) as ControlPlaneState;
  assert.equal(state.processes.length, 6, 'etcd, egress proxy, apiserver, cm, scheduler, kwok');
  assert.ok(state.processes.every(isAlive), 'all six processes run before the signal');
  return { mocha, exited, dir: dir!, state, testPid: Number(pid ?? 0), output: () => out };
}

/** Whatever a held run left: killed by pid (the control plane's, the test process). */
async function cleanUp(run: HeldRun | undefined): Promise<void> {
  if (!run) return;
  if (run.mocha.exitCode === null) run.mocha.kill('SIGKILL');
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  };
  for (const p of run.state.processes) if (isAlive(p)) kill(-p.pid);
  if (run.testPid && pidAlive(run.testPid)) kill(run.testPid);
  await rm(run.dir, { recursive: true, force: true });
}

/** Fails naming every process of the control plane (and the test process) still running after 15 s. */
async function assertAllGone(run: HeldRun): Promise<void> {
  const left = () => [
    ...run.state.processes.filter(isAlive).map((p) => `${p.name} (pid ${p.pid})`),
    ...(run.testPid && pidAlive(run.testPid) ? [`the test process (pid ${run.testPid})`] : []),
  ];
  await waitFor('processes gone', async () => left().length === 0, 15_000).catch(() =>
    assert.fail(`still running: ${left().join(', ')}\n${run.output()}`),
  );
  assert.equal(existsSync(run.dir), false, 'the temporary control-plane folder is removed');
}

describe('test harness teardown', () => {
  it('leaves no control-plane process behind when the test run is interrupted with Ctrl-C', async function () {
    this.timeout(180_000);
    let run: HeldRun | undefined;
    try {
      run = await holdControlPlane('test/integration/cluster/fixtures/hold-cluster.ts');
      run.mocha.kill('SIGINT');
      assert.equal((await run.exited).code, 130);
      await assertAllGone(run);
    } finally {
      await cleanUp(run);
    }
  });

  it("leaves no process of a control plane a test started itself behind when only mocha's parent process gets SIGTERM", async function () {
    this.timeout(180_000);
    let run: HeldRun | undefined;
    try {
      run = await holdControlPlane('test/integration/cluster/fixtures/hold-started-cluster.ts');
      assert.ok(
        run.testPid > 0 && run.testPid !== run.mocha.pid,
        'mocha runs the tests in a child',
      );
      // mocha does not pass SIGTERM on to the child that runs the tests.
      run.mocha.kill('SIGTERM');
      assert.equal((await run.exited).signal, 'SIGTERM');
      await assertAllGone(run);
    } finally {
      await cleanUp(run);
    }
  });

  it("leaves no process of a test's own control plane behind when the run's process group gets SIGTERM (as from `timeout`)", async function () {
    this.timeout(180_000);
    let run: HeldRun | undefined;
    try {
      run = await holdControlPlane('test/integration/cluster/fixtures/hold-own-cluster.ts', {
        group: true,
      });
      process.kill(-run.mocha.pid!, 'SIGTERM');
      await run.exited;
      await assertAllGone(run);
    } finally {
      await cleanUp(run);
    }
  });
});
