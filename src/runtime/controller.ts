import type { KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { logger } from '../log/logger.js';
import type { Informer } from './informer.js';
import type { ReconcileResult } from './reconcile-frame.js';
import { runWorkers, WorkQueue, type WorkQueueOptions } from './workqueue.js';

/**
 * Makes the cluster match what the object named by `key` (`namespace/name`)
 * asks for, whatever event woke it (level-based: it reads the current state).
 */
export type Reconciler = (key: string, reconcileID: string) => Promise<ReconcileResult>;

/**
 * A key to reconcile, as an event handler returns it; `{ specChange }`: the
 * object's spec changed, which the queue coalesces in bursts
 * ({@link WorkQueue.addSpecChange}); `{ after, ms }`: not before `ms` from
 * now, folding every event of the meantime into one reconcile (a loop that
 * need not react at once, and should not once per event of a burst).
 */
export type Request = string | { specChange: string } | { after: string; ms: number };

/**
 * Which keys an informer's events wake (controller-runtime's event handler
 * and predicates in one): the object's own key, its owner's, or none. An
 * event without a handler wakes nothing.
 */
export interface EventHandlers<T extends KubernetesObject> {
  add?(obj: T): Iterable<Request>;
  update?(old: T, obj: T): Iterable<Request>;
  delete?(obj: T): Iterable<Request>;
  resync?(obj: T): Iterable<Request>;
  /** The informer's kind is served now (its CRD was installed): no object of it exists yet to map. */
  served?(): Iterable<Request>;
}

/** One finished reconcile, for {@link ControllerOptions.onReconcile}. */
export interface ReconcileRecord {
  key: string;
  reconcileID: string;
  result: ReconcileResult['result'];
  /** Wall-clock start (`Date.now()`). */
  startedAt: number;
  ms: number;
}

/** Counts of reconcile results since start, by result. */
export type ReconcileCounts = Record<ReconcileResult['result'], number>;

/** Settings for {@link Controller}. */
export interface ControllerOptions {
  reconcile: Reconciler;
  /** The log field that names the key on the controller's lines (`iop`). */
  logField: string;
  /**
   * Whether a dequeued key is this controller's to reconcile now; one that
   * is not is dropped (its backoff forgotten) and not counted. Default: all.
   */
  accepts?(key: string): boolean;
  /** Parallel reconciles. Default 4. */
  workers?: number;
  /** Backoff and coalescing of the queue; see {@link WorkQueue}. */
  queue?: WorkQueueOptions;
  /** Told about every reconcile as it ends (metrics, benchmarks and tests). */
  onReconcile?(r: ReconcileRecord): void;
}

/**
 * One control loop (controller-runtime's Controller): watches wired to a
 * work queue of keys, and workers that hand each key to the reconciler and
 * turn its result into what the queue does next — forget (done, terminal),
 * look again later (requeueAfter), retry soon and quietly (conflict) or with
 * backoff (error). It knows nothing of what it reconciles: the caller owns
 * the informers (and starts them), the key mapping and the reconciler.
 */
export class Controller {
  readonly queue: WorkQueue;
  readonly counts: ReconcileCounts = {
    done: 0,
    requeueAfter: 0,
    terminal: 0,
    error: 0,
    conflict: 0,
  };
  private workers: Promise<void> | undefined;

  constructor(private readonly opts: ControllerOptions) {
    this.queue = new WorkQueue(opts.queue);
  }

  /** Wakes keys on `informer`'s events as `handlers` map them. */
  watch<T extends KubernetesObject>(informer: Informer<T>, handlers: EventHandlers<T>): void {
    const { add, update, delete: del, resync, served } = handlers;
    if (add) informer.onAdd((o) => this.enqueue(add(o)));
    if (update) informer.onUpdate((a, b) => this.enqueue(update(a, b)));
    if (del) informer.onDelete((o) => this.enqueue(del(o)));
    if (resync) informer.onResync((o) => this.enqueue(resync(o)));
    if (served) informer.onServed(() => this.enqueue(served()));
  }

  /** Queues the requests (see {@link Request}). */
  enqueue(requests: Iterable<Request>): void {
    for (const r of requests) {
      if (typeof r === 'string') this.queue.add(r);
      else if ('specChange' in r) this.queue.addSpecChange(r.specChange);
      else this.queue.addAfter(r.after, r.ms);
    }
  }

  /** True when nothing is queued, held back by a burst of spec changes or being reconciled. */
  isIdle(): boolean {
    return this.queue.len() === 0 && this.queue.deferredLen() === 0 && this.queue.inFlight() === 0;
  }

  /** Starts the workers (once; later calls do nothing). */
  startWorkers(): void {
    this.workers ??= runWorkers(this.queue, this.opts.workers ?? 4, (key) => this.handle(key));
  }

  /** True once workers run. */
  hasWorkers(): boolean {
    return this.workers !== undefined;
  }

  /** Stops taking work and waits for in-flight reconciles. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.workers;
  }

  private async handle(key: string): Promise<void> {
    if (this.opts.accepts && !this.opts.accepts(key)) {
      this.queue.forget(key);
      return;
    }
    const id = randomBytes(4).toString('hex');
    const startedAt = Date.now();
    const r = await this.opts.reconcile(key, id);
    this.counts[r.result]++;
    const ms = Date.now() - startedAt;
    this.opts.onReconcile?.({ key, reconcileID: id, result: r.result, startedAt, ms });
    const at = { [this.opts.logField]: key, reconcileID: id };
    switch (r.result) {
      case 'done':
      case 'terminal':
        this.queue.forget(key);
        logger.debug('reconciled', { ...at, result: r.result, ms });
        break;
      case 'requeueAfter':
        this.queue.forget(key);
        this.queue.addAfter(key, r.ms);
        logger.debug('reconciled, checking again later', { ...at, inMs: r.ms, ms });
        break;
      case 'conflict':
        this.queue.addRateLimited(key);
        logger.debug('conflict, retrying', at);
        break;
      case 'error': {
        const delay = this.queue.addRateLimited(key);
        logger.warn('reconcile failed', { ...at, error: r.error, retryInMs: delay });
        break;
      }
    }
  }
}
