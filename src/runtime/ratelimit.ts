/**
 * Rate limiting for the work queue, with controller-runtime's semantics: a
 * per-key exponential backoff (so one failing IstioOperator backs off alone)
 * combined with a global token bucket (so many failing ones cannot flood the
 * API server). The delay used is the larger of the two.
 */

/** Settings for {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** First retry delay of a key. Default 100 ms. */
  baseDelayMs?: number;
  /** Cap of the per-key delay. Default 5 minutes. */
  maxDelayMs?: number;
  /** Global sustained retries per second. Default 10. */
  qps?: number;
  /** Global burst. Default 100. */
  burst?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/** Per-key exponential backoff under a global token bucket. */
export class RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly base: number;
  private readonly max: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(opts: RateLimiterOptions = {}) {
    this.base = opts.baseDelayMs ?? 100;
    this.max = opts.maxDelayMs ?? 300_000;
    this.qps = opts.qps ?? 10;
    this.burst = opts.burst ?? 100;
    this.now = opts.now ?? Date.now;
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Records a failure of `key` and returns how long to wait before retrying it. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const perKey = Math.min(this.max, this.base * 2 ** Math.min(n, 40));
    return Math.max(perKey, this.bucketDelay());
  }

  /** Forgets the failures of `key` (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times `key` failed in a row. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  private bucketDelay(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
}
