import assert from 'node:assert/strict';
import { Controller, type ReconcileRecord } from '../../../src/runtime/controller.js';
import type { ReconcileResult } from '../../../src/runtime/reconcile-frame.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most 2 s) until `ok()`. */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await tick(10);
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/** A controller whose reconciler answers from `answers` per key (then `done`), and what it saw. */
function controllerWith(
  answers: Record<string, ReconcileResult[]>,
  accepts?: (key: string) => boolean,
) {
  const calls: string[] = [];
  const records: ReconcileRecord[] = [];
  const c = new Controller({
    logField: 'key',
    reconcile: (key) => {
      calls.push(key);
      return Promise.resolve(answers[key]?.shift() ?? { result: 'done' });
    },
    ...(accepts ? { accepts } : {}),
    workers: 2,
    queue: { baseDelayMs: 5, maxDelayMs: 20 },
    onReconcile: (r) => records.push(r),
  });
  return { c, calls, records };
}

describe('runtime Controller', () => {
  it('reconciles an enqueued key once, counts and reports the result, and is idle after', async () => {
    const { c, calls, records } = controllerWith({});
    c.enqueue(['ns/a', 'ns/a', 'ns/b']);
    c.startWorkers();
    await until(() => records.length === 2 && c.isIdle(), 'two reconciles');
    assert.deepEqual(calls.sort(), ['ns/a', 'ns/b']);
    assert.equal(c.counts.done, 2);
    assert.ok(records.every((r) => r.result === 'done' && r.reconcileID.length === 8));
    await c.stop();
  });

  it('retries an error and a conflict, and looks again after requeueAfter', async () => {
    const { c, calls } = controllerWith({
      'ns/a': [{ result: 'error', error: 'boom' }, { result: 'conflict' }],
      'ns/b': [{ result: 'requeueAfter', ms: 30 }],
    });
    c.startWorkers();
    c.enqueue(['ns/a', 'ns/b']);
    await until(() => c.counts.done === 2 && c.isIdle(), 'both keys done');
    assert.deepEqual(
      { ...c.counts },
      { done: 2, requeueAfter: 1, terminal: 0, error: 1, conflict: 1 },
    );
    assert.deepEqual(
      calls.filter((k) => k === 'ns/a'),
      ['ns/a', 'ns/a', 'ns/a'],
    );
    await c.stop();
  });

  it('drops a key it does not accept without reconciling or counting it', async () => {
    const { c, calls } = controllerWith({}, (key) => key !== 'ns/other');
    c.startWorkers();
    c.enqueue(['ns/other', 'ns/mine']);
    await until(() => c.counts.done === 1 && c.isIdle(), 'one reconcile');
    assert.deepEqual(calls, ['ns/mine']);
    await c.stop();
  });

  it('queues a spec change through the coalescing path', async () => {
    const { c, calls } = controllerWith({});
    c.enqueue([{ specChange: 'ns/a' }]);
    assert.equal(c.queue.len(), 1);
    c.startWorkers();
    await until(() => calls.length === 1 && c.isIdle(), 'the reconcile');
    assert.equal(c.hasWorkers(), true);
    await c.stop();
  });
});
