import { RateLimiter, type RateLimiterOptions } from './ratelimit.js';

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
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly limiter: RateLimiter;
  private shuttingDown = false;

  constructor(opts: RateLimiterOptions = {}) {
    this.limiter = new RateLimiter(opts);
  }

  /** Queues `key` now (no-op if it is already waiting). */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** Queues `key` after `delayMs`; an earlier pending schedule wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
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

  /** Keys waiting (not counting those being processed or scheduled). */
  len(): number {
    return this.queue.length;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Stops handing out keys; pending `get` calls resolve undefined. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** True after {@link shutDown}. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
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
