import Mocha, { type Context, type Runnable, type Suite } from 'mocha';
import { captureLogs, dropCapturedLog, takeCapturedLog } from './captured-log.js';
import { controlPlaneLogs, startedCluster, stopSharedCluster } from './cluster.js';
import { leakError, openWindow, stopLeaked, trackOperators } from './operator-leaks.js';
import { tearDownOnExit } from './teardown.js';

tearDownOnExit();
captureLogs();
trackOperators();

/** The mark of the running test's window (see operator-leaks.ts). */
let testMark = 0;

/**
 * The runner of this run, kept when it starts: a test that leaked is failed
 * through it, as mocha's own --check-leaks fails a test. Throwing from the
 * root afterEach hook instead would end the whole run (a failed after-each
 * hook skips every test after it in its suite, here the root).
 */
let runner: { fail(test: Runnable, err: Error): void } | undefined;
const run = Mocha.Runner.prototype.run;
Mocha.Runner.prototype.run = function (this: Mocha.Runner, ...args: Parameters<typeof run>) {
  runner = this as unknown as typeof runner;
  return run.apply(this, args);
};

/**
 * Gives every suite a window of its own: operators its before hooks start
 * must be stopped by its after hooks (checked by a hook that runs after
 * them), and the log its hooks wrote is shown when one of them failed.
 * Mocha runs a suite's hooks in the order they were added; the opening one
 * must come first, so it is moved to the front (mocha's `_beforeAll` list:
 * no public API adds a hook before the suite's own).
 */
function watchSuite(suite: Suite): void {
  let mark = 0;
  const name = `the hooks of "${suite.fullTitle()}"`;
  suite.beforeAll(`open the operator window of ${suite.fullTitle()}`, () => {
    mark = openWindow(name);
  });
  const hooks = (suite as unknown as { _beforeAll: unknown[] })._beforeAll;
  hooks.unshift(hooks.pop());
  suite.afterAll(`check ${suite.fullTitle()} stopped its operators`, async () => {
    const leaked = await stopLeaked(mark);
    const own = [
      ...(suite as unknown as { _beforeAll: { state?: string }[] })._beforeAll,
      ...(suite as unknown as { _afterAll: { state?: string }[] })._afterAll,
    ];
    if (own.some((h) => h.state === 'failed')) {
      const log = takeCapturedLog();
      if (log) process.stderr.write(`\n${log}\n`);
    } else dropCapturedLog();
    if (leaked.length) throw leakError(name, leaked);
  });
  for (const child of suite.suites) watchSuite(child);
}

/**
 * Mocha root hooks. A test's captured log (and the shared control plane's
 * log tails) is printed under it only when it failed; operators a test
 * leaves running are stopped and fail it; the shared control plane is
 * always torn down.
 */
export const mochaHooks = {
  beforeAll(this: Context): void {
    for (const suite of this.test?.parent?.suites ?? []) watchSuite(suite);
  },
  beforeEach(this: Context): void {
    testMark = openWindow(`"${this.currentTest?.fullTitle() ?? '?'}"`);
  },
  async afterEach(this: Context): Promise<void> {
    const test = this.currentTest;
    const failed = test?.state === 'failed';
    const leaked = await stopLeaked(testMark, 'test');
    if (failed) {
      const log = takeCapturedLog();
      if (log) process.stderr.write(`\n${log}\n`);
      if (startedCluster()) process.stderr.write(`\n${await controlPlaneLogs()}\n`);
      // The failure is reported already; a leak after it is its consequence.
      if (leaked.length) process.stderr.write(`${leakError('the failed test', leaked).message}\n`);
    } else {
      dropCapturedLog();
      if (leaked.length) {
        const err = leakError(`"${test?.fullTitle() ?? '?'}"`, leaked);
        if (runner && test) runner.fail(test, err);
        else throw err;
      }
    }
  },
  async afterAll(): Promise<void> {
    try {
      const leaked = await stopLeaked(0);
      if (leaked.length) throw leakError('the test files', leaked);
    } finally {
      await stopSharedCluster();
    }
  },
};
