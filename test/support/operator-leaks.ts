import { OperatorManager, type ManagerOptions } from '../../src/controller/manager.js';
import { Operator } from '../../src/controller/operator.js';
import { logOwner } from './captured-log.js';

/** An in-process operator that was started and not yet stopped. */
export interface RunningOperator {
  manager: OperatorManager;
  /** `operator 3 (ns-a, ns-b)`: the prefix of its captured log lines. */
  label: string;
  /** Start order, to tell which window (test, suite) started it. */
  seq: number;
  /** The test or hook that was running when it started. */
  startedIn: string;
  /** Handed by its test to the enclosing suite ({@link keepForSuite}). */
  keptForSuite?: boolean;
}

const running = new Map<OperatorManager, RunningOperator>();
let seq = 0;
let started = 0;
let where = 'the file level';
let installed = false;

/** Stop a leaked operator within this long (a stuck reconcile must not hang the run). */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Follows every in-process operator of the run, however a test made it
 * (test/support/operator.ts's startOperator, or `new OperatorManager`
 * directly): its start and late worker start run inside {@link logOwner}, so
 * every line its informers, queue and workers log is labelled with it, and
 * the registry knows which are still running. Done on the class from the
 * test harness, so the product's code has no hook for tests. Idempotent.
 */
export function trackOperators(): void {
  if (installed) return;
  installed = true;
  /** The record of a manager, made when it (or the Operator around it) starts. */
  const recordOf = (manager: OperatorManager): RunningOperator => {
    let r = running.get(manager);
    if (!r) {
      const ns = (manager as unknown as { opts: ManagerOptions }).opts.watchNamespaces ?? [];
      r = {
        manager,
        label: `operator ${++started} (${ns.length ? ns.join(', ') : 'all namespaces'})`,
        seq: ++seq,
        startedIn: where,
      };
      running.set(manager, r);
    }
    return r;
  };
  const manager = OperatorManager.prototype;
  const { start, startWorkers, stop } = manager;
  manager.start = function (this: OperatorManager, ...args: Parameters<typeof start>) {
    return logOwner.run(recordOf(this).label, () => start.apply(this, args));
  };
  manager.startWorkers = function (this: OperatorManager) {
    const r = running.get(this);
    return r ? logOwner.run(r.label, () => startWorkers.apply(this)) : startWorkers.apply(this);
  };
  manager.stop = async function (this: OperatorManager) {
    try {
      await stop.apply(this);
    } finally {
      running.delete(this);
    }
  };
  // The Operator around a manager logs too, and starts the leader election.
  const operator = Operator.prototype;
  const operatorStart = operator.start;
  operator.start = function (this: Operator) {
    return logOwner.run(recordOf(this.manager).label, () => operatorStart.apply(this));
  };
}

/**
 * Hands an operator a test started to the tests after it in the same suite
 * (a scenario told in steps: the next test checks what this one's operator
 * does next): it must then be stopped by the end of that suite instead of
 * the test. Returns the manager, to wrap a start in.
 */
export function keepForSuite<T extends OperatorManager>(manager: T): T {
  const r = running.get(manager);
  if (!r) throw new Error('keepForSuite: that operator is not running');
  r.keptForSuite = true;
  return manager;
}

/**
 * Opens a window: operators started from now on belong to `name` (a test,
 * or a suite's hooks). Returns the mark {@link stopLeaked} takes.
 */
export function openWindow(name: string): number {
  where = name;
  return seq;
}

/**
 * Stops (bounded) every operator started since `mark` that is still
 * running, and returns them: what the window leaked.
 */
export async function stopLeaked(
  mark: number,
  window: 'test' | 'suite' = 'suite',
): Promise<RunningOperator[]> {
  const leaked = [...running.values()].filter(
    (r) => r.seq > mark && !(window === 'test' && r.keptForSuite),
  );
  for (const r of leaked) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      r.manager.stop().catch(() => {}),
      new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    running.delete(r.manager);
  }
  return leaked;
}

/** The error a window that leaked operators fails with. */
export function leakError(window: string, leaked: RunningOperator[]): Error {
  return new Error(
    `${window} left ${leaked.length} in-process operator(s) running: ` +
      leaked.map((r) => `${r.label}, started in ${r.startedIn}`).join('; ') +
      ' (stopped now). Stop every operator a test starts in that test, or in the after hook of the suite whose before hook started it.',
  );
}
