import * as k8s from '@kubernetes/client-node';
import { logger } from '../log/logger.js';
import { KubeClient } from '../kube/client.js';
import { describeKubeError, isNotFound } from '../kube/errors.js';
import { collectionPath, objectKey, type ResourceType } from '../kube/resource.js';

/** Settings for {@link Informer}. */
export interface InformerOptions {
  kubeConfig: k8s.KubeConfig;
  /** Client whose request counters include this informer's lists. Default: a new one. */
  client?: KubeClient;
  resource: ResourceType;
  /** Watch one namespace instead of all (namespaced kinds only). */
  namespace?: string;
  /** Only objects with these labels are listed and watched (e.g. our managed label). */
  labelSelector?: string;
  /**
   * The server ends each watch after this many seconds and it is re-opened
   * from the last resourceVersion; a watch quiet for longer than this plus a
   * margin is treated as dead and restarted. Default 300.
   */
  watchTimeoutSeconds?: number;
  /** Mean resync period; each period is jittered ±10%. Default 10 hours. */
  resyncMs?: number;
  /** How much longer than watchTimeoutSeconds a watch may stay silent. Default 30 s. */
  silenceMarginMs?: number;
  /** Restart backoff after errors: first delay, and cap. Defaults 500 ms and 30 s. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

type AddFn<T> = (obj: T) => void;
type UpdateFn<T> = (oldObj: T, newObj: T) => void;

/**
 * A label-selected cache of one resource type, built on client-node's
 * ListWatch and made durable:
 *  - ListWatch stops on any error; this restarts it with capped, jittered
 *    exponential backoff (a 410 Gone makes it list again from scratch);
 *  - the server ends each watch after `watchTimeoutSeconds`, so a watch that
 *    stays silent much longer is a dead connection and is restarted;
 *  - update handlers get the previous object too, so filters can compare;
 *  - a jittered periodic resync hands every cached object to `onResync`;
 *  - `start()` resolves only after the initial list, so workers never act on
 *    an empty cache.
 */
export class Informer<T extends k8s.KubernetesObject> {
  private readonly opts: Required<Omit<InformerOptions, 'namespace' | 'labelSelector' | 'client'>> &
    Pick<InformerOptions, 'namespace' | 'labelSelector' | 'client'>;
  private lw: k8s.ListWatch<T> | undefined;
  private readonly known = new Map<string, T>();
  private readonly adds: AddFn<T>[] = [];
  private readonly updates: UpdateFn<T>[] = [];
  private readonly deletes: AddFn<T>[] = [];
  private readonly resyncs: AddFn<T>[] = [];
  private stopped = true;
  private synced = false;
  private failures = 0;
  private generation = 0;
  private lastActivity = Date.now();
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Times the underlying ListWatch was (re)started; for tests and metrics. */
  restarts = 0;
  /** Why the last (up to 20) restarts happened, oldest first. */
  readonly restartReasons: string[] = [];

  constructor(opts: InformerOptions) {
    this.opts = {
      watchTimeoutSeconds: 300,
      silenceMarginMs: 30_000,
      resyncMs: 10 * 3600_000,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      ...opts,
    };
  }

  /** Name for logs: `apps/v1 Deployment` (in `ns`). */
  get name(): string {
    const r = this.opts.resource;
    return `${r.apiVersion} ${r.kind}${this.opts.namespace ? ` in ${this.opts.namespace}` : ''}`;
  }

  onAdd(fn: AddFn<T>): void {
    this.adds.push(fn);
  }
  onUpdate(fn: UpdateFn<T>): void {
    this.updates.push(fn);
  }
  onDelete(fn: AddFn<T>): void {
    this.deletes.push(fn);
  }
  /** Called for every cached object at each periodic resync. */
  onResync(fn: AddFn<T>): void {
    this.resyncs.push(fn);
  }

  /** True once the initial list has been delivered. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The cached object, if any. */
  get(name: string, namespace?: string): T | undefined {
    return this.known.get(objectKey(namespace, name));
  }

  /** Every cached object (of one namespace if given). */
  list(namespace?: string): T[] {
    const all = [...this.known.values()];
    return namespace ? all.filter((o) => o.metadata?.namespace === namespace) : all;
  }

  /**
   * Starts listing and watching; resolves after the first successful list.
   * Errors before that are retried with backoff, like later ones.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const synced = new Promise<void>((resolve) => {
      const check = () => (this.synced ? resolve() : setTimeout(check, 20).unref());
      check();
    });
    this.launch();
    this.armWatchdog();
    this.armResync();
    await synced;
  }

  /** Stops watching and cancels every timer; the cache keeps its last contents. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    for (const t of [this.restartTimer, this.watchdog, this.resyncTimer]) if (t) clearTimeout(t);
    const lw = this.lw;
    this.lw = undefined;
    await lw?.stop();
  }

  private launch(): void {
    const gen = ++this.generation;
    this.restarts++;
    const r = this.opts.resource;
    const client = this.opts.client ?? new KubeClient(this.opts.kubeConfig);
    const list = async (): Promise<k8s.KubernetesListObject<T>> => {
      // Raw JSON, like the watch events, so cached objects look the same whichever delivered them.
      const res = await client.listRaw<T>(r, this.opts.namespace, this.opts.labelSelector);
      // A fresh list replaces the cache: anything we knew that is gone was deleted.
      if (gen === this.generation) this.reconcileList(res.items);
      return res;
    };
    // timeoutSeconds makes the server close idle watches, which is what lets
    // the watchdog tell a quiet watch from a dead one; bookmarks keep the
    // resourceVersion fresh so a re-watch rarely meets 410 Gone.
    const path =
      collectionPath(r, this.opts.namespace) +
      `?timeoutSeconds=${this.opts.watchTimeoutSeconds}&allowWatchBookmarks=true`;
    const lw = new k8s.ListWatch<T>(
      path,
      new k8s.Watch(this.opts.kubeConfig),
      list,
      false,
      this.opts.labelSelector,
    );
    this.lw = lw;
    lw.on('connect', () => {
      if (gen !== this.generation) return;
      this.lastActivity = Date.now();
    });
    lw.on('add', (o) => gen === this.generation && this.observe(o));
    lw.on('update', (o) => gen === this.generation && this.observe(o));
    lw.on('delete', (o) => gen === this.generation && this.forgetObject(o));
    lw.on('error', (err) => {
      if (gen !== this.generation || this.stopped) return; // our own stop() aborts the watch
      this.scheduleRestart(err);
    });
    lw.start().then(
      () => {
        if (gen !== this.generation) return;
        this.lastActivity = Date.now();
        if (!this.synced && lw.latestResourceVersion() !== '') this.synced = true;
        if (this.synced) this.failures = 0;
      },
      (err: unknown) => gen === this.generation && this.scheduleRestart(err),
    );
  }

  private scheduleRestart(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    if (!this.synced && isNotFound(err)) {
      // The resource type is not served (an optional CRD such as Multus's is
      // absent): there is nothing to cache, so count as synced and keep
      // retrying in the background in case it is installed later.
      this.synced = true;
    }
    this.failures++;
    const exp = Math.min(
      this.opts.backoffMaxMs,
      this.opts.backoffBaseMs * 2 ** Math.min(this.failures - 1, 20),
    );
    const delay = Math.round(exp * (0.5 + Math.random() * 0.5));
    this.restartReasons.push(describeKubeError(err));
    if (this.restartReasons.length > 20) this.restartReasons.shift();
    // A type that is not served is expected (optional CRDs): say so quietly.
    logger.log(isNotFound(err) ? 'debug' : 'warn', 'watch failed; restarting', {
      informer: this.name,
      error: describeKubeError(err),
      retryInMs: delay,
      failures: this.failures,
    });
    const old = this.lw;
    this.generation++;
    this.lw = undefined;
    void old?.stop();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.launch();
    }, delay);
    this.restartTimer.unref();
  }

  private armWatchdog(): void {
    const limit = this.opts.watchTimeoutSeconds * 1000 + this.opts.silenceMarginMs;
    const check = () => {
      if (this.stopped) return;
      if (!this.restartTimer && Date.now() - this.lastActivity > limit) {
        this.scheduleRestart(new Error(`no watch activity for ${Math.round(limit / 1000)}s`));
      }
      this.watchdog = setTimeout(check, Math.min(limit / 4, 30_000));
      this.watchdog.unref();
    };
    check();
  }

  private armResync(): void {
    const delay = Math.round(this.opts.resyncMs * (0.9 + Math.random() * 0.2));
    this.resyncTimer = setTimeout(() => {
      if (this.stopped) return;
      for (const obj of this.known.values()) for (const fn of this.resyncs) fn(obj);
      this.armResync();
    }, delay);
    this.resyncTimer.unref();
  }

  private keyOf(o: T): string {
    return objectKey(o.metadata?.namespace, o.metadata?.name ?? '');
  }

  private observe(o: T): void {
    this.lastActivity = Date.now();
    const key = this.keyOf(o);
    const old = this.known.get(key);
    if (old && old.metadata?.resourceVersion === o.metadata?.resourceVersion) return;
    this.known.set(key, o);
    if (old) for (const fn of this.updates) fn(old, o);
    else for (const fn of this.adds) fn(o);
  }

  private forgetObject(o: T): void {
    this.lastActivity = Date.now();
    const key = this.keyOf(o);
    const old = this.known.get(key) ?? o;
    if (!this.known.delete(key)) return;
    for (const fn of this.deletes) fn(old);
  }

  private reconcileList(items: T[]): void {
    const present = new Set(items.map((o) => this.keyOf(o)));
    for (const [key, old] of [...this.known]) {
      if (!present.has(key)) {
        this.known.delete(key);
        for (const fn of this.deletes) fn(old);
      }
    }
    // Adds and updates are delivered by ListWatch's own add/update callbacks.
  }
}
