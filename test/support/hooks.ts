import type { Context } from 'mocha';
import { rmSync } from 'node:fs';
import { controlPlaneLogs, runningClusters, startedCluster, stopSharedCluster } from './cluster.js';

// Kill the control plane on Ctrl-C or termination: its processes run in their
// own process groups, so the terminal's SIGINT would not reach them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const cp of runningClusters()) {
      cp.killNow();
      rmSync(cp.dir, { recursive: true, force: true });
    }
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const cp of runningClusters()) cp.killNow();
});

/** Mocha root hooks: print control-plane logs after a failing test; always tear down. */
export const mochaHooks = {
  async afterEach(this: Context): Promise<void> {
    if (this.currentTest?.state === 'failed' && startedCluster()) {
      process.stderr.write(`\n${await controlPlaneLogs()}\n`);
    }
  },
  async afterAll(): Promise<void> {
    await stopSharedCluster();
  },
};
