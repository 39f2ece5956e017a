import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../support/cli.js';

/** A child mocha run of one fixture file with the project's root hooks: its exit code and output. */
async function mochaRun(fixture: string): Promise<{ code: number | null; out: string }> {
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
    // Not a terminal: the logger writes JSON lines, as in CI.
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  mocha.stdout.on('data', (c: Buffer) => (out += c.toString()));
  mocha.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => mocha.kill('SIGTERM'), 240_000);
  const code = await new Promise<number | null>((res) => mocha.on('exit', (c) => res(c)));
  clearTimeout(timer);
  return { code, out };
}

describe('test harness: quiet tests, no leaked operators', () => {
  let run: { code: number | null; out: string };

  before(async function () {
    this.timeout(300_000);
    run = await mochaRun('test/integration/harness/fixtures/operators.ts');
  });

  it('prints no log line of a passing test, and no line of the shared logger unlabelled', () => {
    assert.match(run.out, /✔ starts and stops its operator/, run.out);
    assert.doesNotMatch(run.out, /PASSING-TEST-LINE/);
    // Every line of the shared logger shown is under a failure, labelled with its
    // writer; none is bare (the control planes' own log tails, under the failure, may be).
    const bare = run.out.split('\n').filter((l) => /^\s*\{".*"message":.*"timestamp":/.test(l));
    assert.deepEqual(bare, []);
  });

  it("prints a failing test's log under it, each line labelled with the operator or the test that wrote it", () => {
    assert.match(run.out, /^\[test\] .*FAILING-TEST-LINE/m);
    assert.match(run.out, /^\[operator \d+ \(quiet-fail-[0-9a-f]+\)\] .*caches synced/m);
    // Only that test's window: not the passing test's operator.
    assert.doesNotMatch(run.out, /^\[operator \d+ \(quiet-pass-/m);
  });

  it('fails a test that leaves its operator running, and a suite whose before hook does, but not a suite that stops an operator a test handed it', () => {
    assert.match(
      run.out,
      /"a test that leaks its operator starts an operator and never stops it" left 1 in-process operator\(s\) running: operator \d+ \(quiet-leak-[0-9a-f]+\)/,
      run.out,
    );
    assert.match(
      run.out,
      /the hooks of "a suite that leaks its operator" left 1 in-process operator\(s\) running: operator \d+ \(quiet-suite-leak-[0-9a-f]+\), started in the hooks of "a suite that leaks its operator"/,
    );
    // An operator handed to the suite with keepForSuite and stopped by its after hook is no leak.
    assert.match(run.out, /✔ finds it still running/);
    assert.doesNotMatch(run.out, /quiet-kept-[0-9a-f]+\)?, started in/);
    // Mocha's exit code counts the failures: the fixture's own one and the two leaks.
    assert.equal(run.code, 3, run.out);
  });
});
