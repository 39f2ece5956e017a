import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ControlPlaneState } from '../../../src/cluster/controlplane.js';
import { isAlive } from '../../../src/cluster/process.js';
import { waitFor } from '../../../src/cluster/health.js';
import { ROOT } from '../../support/cli.js';

describe('test harness teardown', () => {
  it('leaves no control-plane process behind when the test run is interrupted with Ctrl-C', async function () {
    this.timeout(180_000);
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
        'test/integration/cluster/fixtures/hold-cluster.ts',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    mocha.stdout.on('data', (c: Buffer) => (out += c.toString()));
    mocha.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((res) => mocha.on('exit', (code) => res(code)));
    let dir = '';
    try {
      await waitFor(
        'child test run holding a control plane',
        async () => {
          dir = /^HOLDING (\S+)$/m.exec(out)?.[1] ?? '';
          return dir !== '';
        },
        150_000,
        () => (mocha.exitCode !== null ? `child exited early:\n${out}` : undefined),
        200,
      );
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
      assert.equal(state.processes.length, 6, 'etcd, egress proxy, apiserver, cm, scheduler, kwok');
      assert.ok(state.processes.every(isAlive), 'all six processes run before the interrupt');

      mocha.kill('SIGINT');
      assert.equal(await exited, 130);
      await waitFor('processes gone', async () => !state.processes.some(isAlive), 10_000);
      assert.equal(existsSync(dir), false, 'the temporary control-plane folder is removed');
    } finally {
      if (mocha.exitCode === null) mocha.kill('SIGKILL');
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });
});
