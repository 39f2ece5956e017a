import assert from 'node:assert/strict';
import { RateLimiter } from '../../../src/runtime/ratelimit.js';
import { runWorkers, WorkQueue } from '../../../src/runtime/workqueue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('collapses a burst of adds for one key into one item', async () => {
    const q = new WorkQueue();
    for (let i = 0; i < 100; i++) q.add('istio-system/demo');
    q.add('istio-system/other');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'istio-system/demo');
    assert.equal(await q.get(), 'istio-system/other');
    assert.equal(q.len(), 0);
  });

  it('never hands one key to two workers, and re-queues a key added while it was processed', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    const first = await q.get();
    assert.equal(first, 'ns/a');
    q.add('ns/a'); // an event arrives during the reconcile
    assert.equal(q.len(), 0, 'not handed out again while in flight');
    q.done('ns/a');
    assert.equal(q.len(), 1, 'queued again after done');
    assert.equal(await q.get(), 'ns/a');
    q.done('ns/a');
    assert.equal(q.len(), 0);
  });

  it('hands a key to a waiting worker as soon as it is added', async () => {
    const q = new WorkQueue();
    const got = q.get();
    q.add('ns/b');
    assert.equal(await got, 'ns/b');
    assert.equal(q.inFlight(), 1);
  });

  it('keeps the earliest of several delayed adds', async () => {
    const q = new WorkQueue();
    q.addAfter('ns/c', 10_000);
    q.addAfter('ns/c', 20);
    q.addAfter('ns/c', 5_000);
    await tick(60);
    assert.equal(q.len(), 1);
    q.shutDown();
  });

  it('backs a failing key off exponentially and resets after forget', () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 1000 });
    const delays = Array.from({ length: 9 }, () => q.addRateLimited('ns/d'));
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    assert.equal(q.retries('ns/d'), 9);
    q.forget('ns/d');
    assert.equal(q.retries('ns/d'), 0);
    assert.equal(q.addRateLimited('ns/d'), 10);
    q.shutDown();
  });

  it('resolves waiting workers with undefined on shutdown and ignores later adds', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add('ns/e');
    assert.equal(q.len(), 0);
  });

  it('runs N workers in parallel, one key at a time each, until shutdown', async () => {
    const q = new WorkQueue();
    let active = 0;
    let maxActive = 0;
    const perKeyActive = new Map<string, number>();
    const handled: string[] = [];
    const workers = runWorkers(q, 3, async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      perKeyActive.set(key, (perKeyActive.get(key) ?? 0) + 1);
      assert.equal(perKeyActive.get(key), 1, `${key} handled twice at once`);
      await tick(15);
      handled.push(key);
      perKeyActive.set(key, perKeyActive.get(key)! - 1);
      active--;
    });
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) q.add(`ns/${k}`);
    await tick(5);
    q.add('ns/a'); // while ns/a is in flight
    while (handled.length < 7) await tick(5);
    q.shutDown();
    await workers;
    assert.equal(maxActive, 3);
    assert.equal(handled.filter((k) => k === 'ns/a').length, 2);
  });
});

describe('RateLimiter', () => {
  it('makes retries wait for the global bucket once the burst is spent', () => {
    let now = 0;
    const rl = new RateLimiter({ baseDelayMs: 1, qps: 10, burst: 2, now: () => now });
    assert.equal(rl.when('a'), 1);
    assert.equal(rl.when('b'), 1);
    assert.equal(rl.when('c'), 100, 'third retry in the same instant waits one token');
    assert.equal(rl.when('d'), 200);
    now = 1000; // 10 tokens refilled, capped at burst 2
    assert.equal(rl.when('e'), 1);
  });
});
