import { RateLimiter, type RateLimiterOptions } from './ratelimit.js';

/** A pending timer of a {@link Clock}. */
export interface Timer {
  cancel(): void;
}

/**
 * The time source and timers of a {@link WorkQueue}. Injected by tests, so
 * delays can be checked step by step without waiting for real time.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once, `ms` from now. Must not keep the process alive. */
  after(ms: number, fn: () => void): Timer;
}

/** Wall-clock time and unref'd `setTimeout`s. */
const realClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** Settings for {@link WorkQueue}: backoff (see {@link RateLimiterOptions}) and coalescing. */
export interface WorkQueueOptions extends Omit<RateLimiterOptions, 'now'> {
  /** Default {@link realClock}; the rate limiter uses its `now` too. */
  clock?: Clock;
  /**
   * A spec change that comes less than this long after the previous spec
   * change of the same key is part of a burst: its reconcile waits until
   * the key's spec changes have been quiet this long. Default 200 ms.
   */
  coalesceQuietMs?: number;
  /**
   * The longest a burst holds a reconcile back, from the first change it
   * held: a key whose spec never stops changing is still reconciled this
   * often. Default 1000 ms.
   */
  coalesceMaxMs?: number;
}

/**
 * A work queue of keys (`namespace/name`), with controller-runtime's
 * guarantees:
 *  - a key is handed to at most one worker at a time;
 *  - adding a key that is already waiting does nothing, so a burst of events
 *    collapses into one reconcile;
 *  - a key added while a worker holds it is queued again once the worker is
 *    done, so no event is lost;
 *  - `addRateLimited` backs a failing key off exponentially (per key, under a
 *    global bucket) and `forget` resets it after a success;
 *  - `addAfter` schedules a key, keeping the earliest of several schedules.
 * The queue holds keys, never events: the reconciler always reads the
 * current state.
 *
 * On top of that, `addSpecChange` coalesces bursts of spec changes. The
 * collapsing above is not enough for those: while a worker reconciles a key
 * its spec keeps changing, so every reconcile of the burst starts from a
 * spec that is already stale and ends in a conflict (34 reconciles for 100
 * updates in 1.3 s, see docs/benchmarks.md). The first spec change of a key
 * is queued at once; a further one within `coalesceQuietMs` of the previous
 * one defers the key until its spec has been quiet that long (but never
 * longer than `coalesceMaxMs`). While a key is deferred, every other add of
 * it (owned-object events, retries) is folded into the deferred reconcile,
 * which reads the state as it is then. Keys without a burst — creation,
 * drift, a single edit — are never delayed.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: Timer }>();
  private readonly deferred = new Map<string, { since: number; due: number; timer: Timer }>();
  private readonly lastSpecChange = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  private readonly quietMs: number;
  private readonly maxMs: number;
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = new RateLimiter({ ...opts, now: () => this.clock.now() });
    this.quietMs = opts.coalesceQuietMs ?? 200;
    this.maxMs = opts.coalesceMaxMs ?? 1000;
  }

  /**
   * Queues `key` now (no-op if it is already waiting). While a burst of spec
   * changes holds the key back, this is folded into the deferred reconcile.
   */
  add(key: string): void {
    if (this.shuttingDown || this.deferred.has(key)) return;
    this.enqueue(key);
  }

  /**
   * Queues `key` because its spec changed: at once, unless the previous spec
   * change of `key` was less than `coalesceQuietMs` ago. Then it is a burst,
   * and the key waits until its spec has been quiet for `coalesceQuietMs`,
   * at most `coalesceMaxMs` after the first change the burst held back.
   */
  addSpecChange(key: string): void {
    if (this.shuttingDown) return;
    const now = this.clock.now();
    const prev = this.lastSpecChange.get(key);
    this.lastSpecChange.set(key, now);
    this.forgetOldSpecChanges(now);
    const pending = this.deferred.get(key);
    if (pending) this.defer(key, pending.since, now);
    else if (prev !== undefined && now - prev < this.quietMs) this.defer(key, now, now);
    else this.enqueue(key);
  }

  /** Queues `key` after `delayMs`; an earlier pending schedule wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.clock.after(delayMs, () => {
      this.timers.delete(key);
      this.add(key);
    });
    this.timers.set(key, { at, timer });
  }

  /** Queues `key` after its backoff delay; returns the delay chosen. */
  addRateLimited(key: string): number {
    const delay = this.limiter.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key` (call after a successful reconcile). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Consecutive failures of `key`. */
  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /**
   * Waits for the next key and marks it as being processed; resolves
   * undefined once the queue is shut down. Every key returned must be passed
   * to {@link done}.
   */
  async get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined || this.shuttingDown) return key;
    return await new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Keys waiting (not counting those being processed, scheduled or deferred). */
  len(): number {
    return this.queue.length;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Keys held back until a burst of spec changes settles. */
  deferredLen(): number {
    return this.deferred.size;
  }

  /** Stops handing out keys; pending `get` calls resolve undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of [...this.timers.values(), ...this.deferred.values()]) timer.cancel();
    this.timers.clear();
    this.deferred.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** True after {@link shutDown}. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private enqueue(key: string): void {
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** (Re)schedules the deferred reconcile of a burst that began at `since`. */
  private defer(key: string, since: number, now: number): void {
    const due = Math.min(since + this.maxMs, now + this.quietMs);
    const pending = this.deferred.get(key);
    if (pending?.due === due) return;
    pending?.timer.cancel();
    const timer = this.clock.after(Math.max(0, due - now), () => {
      this.deferred.delete(key);
      this.enqueue(key);
    });
    this.deferred.set(key, { since, due, timer });
  }

  /** Spec changes older than `coalesceQuietMs` no longer matter; keeps the map small. */
  private forgetOldSpecChanges(now: number): void {
    if (this.lastSpecChange.size <= 256) return;
    for (const [key, t] of this.lastSpecChange) {
      if (now - t >= this.quietMs) this.lastSpecChange.delete(key);
    }
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }
}

/**
 * Runs `workers` loops that take keys from `queue` and pass them to
 * `handle`, until the queue shuts down. Resolves when every loop has ended
 * (in-flight handlers finished). `handle` must not throw; it decides itself
 * whether to forget or re-queue the key.
 */
export async function runWorkers(
  queue: WorkQueue,
  workers: number,
  handle: (key: string) => Promise<void>,
): Promise<void> {
  const loop = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await handle(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}
