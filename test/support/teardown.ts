import { rmSync } from 'node:fs';
import { runningClusters } from './cluster.js';

/** How often the run checks that the process that started it is still there. */
const PARENT_POLL_MS = 500;

let installed = false;

/**
 * Kills every control plane this run started (their istiods with them) at
 * once. Their processes run in process groups of their own (so `cluster up`
 * can return while they run): no signal to the run reaches them, and
 * nothing else would stop them. A control plane still starting is killed by
 * startControlPlane's own exit hook, which process.exit() below runs.
 */
function killClusters(removeDirs: boolean): void {
  for (const cp of runningClusters()) {
    cp.killNow();
    if (removeDirs) rmSync(cp.dir, { recursive: true, force: true });
  }
}

/**
 * Makes every way the test process ends tear down what the run started:
 * - a normal end or process.exit(): the 'exit' hook;
 * - SIGINT, SIGTERM, SIGHUP to the process (Ctrl-C, `timeout`, which signals
 *   its whole process group, a CI runner cancelling the job): killed, then
 *   exit with 128 + the signal's number, as a shell reports it;
 * - SIGTERM (or SIGKILL) to its parent only: `mocha` with node options runs
 *   the tests in a child of its own and does not pass SIGTERM on, so the
 *   child would run on, orphaned, with its control planes. The child notices
 *   its parent is gone (its parent pid changes) and ends the same way.
 * Only SIGKILL of this process itself escapes (nothing can catch it).
 * Idempotent.
 */
export function tearDownOnExit(): void {
  if (installed) return;
  installed = true;
  const end = (code: number) => {
    killClusters(true);
    process.exit(code);
  };
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const) {
    process.once(signal, () => end(128 + number));
  }
  process.once('exit', () => killClusters(false));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      process.stderr.write(
        `\n[test run] parent process ${parent} is gone: tearing down and exiting\n`,
      );
      end(129);
    }
  }, PARENT_POLL_MS).unref();
}
