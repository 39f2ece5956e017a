import assert from 'node:assert/strict';
import { WorkQueue, type Clock, type Timer } from '../../../src/runtime/workqueue.js';

/** A clock that moves only when told to, running due timers in order. */
class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void }[] = [];

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== timer)) };
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers
        .filter((x) => x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }

  pending(): number {
    return this.timers.length;
  }
}

const KEY = 'istio-system/demo';

/**
 * One worker on a fake clock: whenever the key is queued it is taken and
 * "reconciled" for `reconcileMs`. Records when each reconcile started.
 */
function harness(opts: { reconcileMs?: number; quietMs?: number; maxMs?: number } = {}) {
  const clock = new FakeClock();
  const q = new WorkQueue({
    clock,
    ...(opts.quietMs !== undefined ? { coalesceQuietMs: opts.quietMs } : {}),
    ...(opts.maxMs !== undefined ? { coalesceMaxMs: opts.maxMs } : {}),
  });
  const starts: number[] = [];
  let busy = false;
  /** Hands a queued key to the worker if it is free. */
  const pump = async () => {
    while (!busy && q.len() > 0) {
      const key = await q.get();
      if (key === undefined) return;
      busy = true;
      starts.push(clock.now());
      clock.after(opts.reconcileMs ?? 50, () => {
        busy = false;
        q.done(key);
      });
    }
  };
  /** Advances time in 1 ms steps so the worker picks keys up as soon as they are queued. */
  const run = async (ms: number) => {
    for (let i = 0; i < ms; i++) {
      await pump();
      clock.advance(1);
    }
    await pump();
  };
  return { clock, q, starts, run };
}

describe('WorkQueue: coalescing bursts of spec changes', () => {
  it('queues a single spec change at once', () => {
    const { q } = harness();
    q.addSpecChange(KEY);
    assert.equal(q.len(), 1);
    assert.equal(q.deferredLen(), 0);
  });

  it('queues isolated spec changes at once, each of them', async () => {
    const { q, starts, run } = harness({ quietMs: 200 });
    for (let i = 0; i < 5; i++) {
      q.addSpecChange(KEY);
      assert.equal(q.deferredLen(), 0, `edit ${i} was deferred`);
      await run(300);
    }
    assert.deepEqual(starts, [0, 300, 600, 900, 1200]);
  });

  it('reconciles 100 changes in 1 s twice: the first change at once, then once after the burst', async () => {
    const { q, starts, run } = harness({ quietMs: 200, maxMs: 1000 });
    for (let i = 0; i < 100; i++) {
      q.addSpecChange(KEY);
      await run(10);
    }
    await run(2000);
    // The first at 0; changes 2..100 (10..990 ms) held back until min(10 + 1000, 990 + 200).
    assert.deepEqual(starts, [0, 1010]);
    assert.equal(q.deferredLen(), 0);
  });

  it('waits until the spec has been quiet for the quiet period when the burst is short', async () => {
    const { q, starts, run } = harness({ quietMs: 200, maxMs: 1000 });
    for (let i = 0; i < 10; i++) {
      q.addSpecChange(KEY);
      await run(20);
    }
    await run(1000);
    // Last change at 180 ms: reconciled once more at 180 + 200.
    assert.deepEqual(starts, [0, 380]);
  });

  it('never holds a key back longer than the maximum while its spec keeps changing', async () => {
    const { q, starts, run } = harness({ quietMs: 200, maxMs: 1000 });
    for (let i = 0; i < 100; i++) {
      q.addSpecChange(KEY); // every 50 ms for 5 s
      await run(50);
    }
    await run(2000);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    assert.ok(
      gaps.every((g) => g <= 1050),
      `a gap longer than max + one change: ${gaps.join(', ')}`,
    );
    assert.ok(starts.length <= 7, `${starts.length} reconciles for 5 s of changes`);
    // The last reconcile comes after the last change (4950 ms), so it sees the final spec.
    assert.ok(starts.at(-1)! > 4950, `last reconcile at ${starts.at(-1)}`);
  });

  it('folds other adds of a deferred key (owned-object events, retries) into the deferred reconcile', async () => {
    const { q, starts, run } = harness({ quietMs: 200, maxMs: 1000 });
    q.addSpecChange(KEY);
    await run(10);
    q.addSpecChange(KEY); // now a burst: deferred until 210
    assert.equal(q.deferredLen(), 1);
    q.add(KEY); // an owned object changed
    q.addRateLimited(KEY); // the first reconcile lost a conflict
    q.addAfter(KEY, 5);
    await run(100);
    assert.deepEqual(starts, [0], 'nothing ran before the burst settled');
    await run(500);
    assert.deepEqual(starts, [0, 210]);
  });

  it('does not delay other keys or events of a key without a burst (drift, creation)', async () => {
    const { q, starts, run } = harness({ quietMs: 200, maxMs: 1000 });
    q.add(KEY);
    await run(100);
    q.add(KEY);
    await run(100);
    assert.deepEqual(starts, [0, 100]);
    q.addSpecChange('ns/a');
    q.addSpecChange('ns/b');
    assert.equal(q.len(), 2, 'first spec changes of two keys are both queued at once');
  });

  it('queues a spec change that comes while the key is being reconciled for another reason right after', async () => {
    const { q, starts, run } = harness({ reconcileMs: 100 });
    q.add(KEY); // e.g. a Deployment became ready
    await run(30);
    q.addSpecChange(KEY); // an isolated edit during that reconcile
    assert.equal(q.deferredLen(), 0);
    await run(300);
    assert.deepEqual(starts, [0, 100]);
  });

  it('forgets a deferred key at shutdown', async () => {
    const { clock, q, run } = harness();
    q.addSpecChange(KEY);
    await run(10);
    q.addSpecChange(KEY);
    assert.equal(q.deferredLen(), 1);
    q.shutDown();
    assert.equal(q.deferredLen(), 0);
    assert.equal(clock.pending(), 1, 'only the in-flight reconcile of the harness is left');
    clock.advance(5000);
    assert.equal(q.len(), 0);
  });
});
