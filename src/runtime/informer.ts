import type * as k8s from '@kubernetes/client-node';
import type { KubeAccess } from '../kube/access.js';
import { logger } from '../log/logger.js';
import { KubeClient } from '../kube/client.js';
import { describeKubeError, isGone, isNotFound, toKubeError } from '../kube/errors.js';
import { apiGroupOf, collectionPath, cacheKey, type ResourceType } from '../kube/resource.js';
import { openWatch, type WatchEvent, type WatchHandle } from '../kube/watch.js';
import { reachabilityOf } from './reachability.js';

/** Settings for {@link Informer}. */
export interface InformerOptions {
  kubeConfig: KubeAccess;
  /** Client whose request counters include this informer's lists. Default: a new one. */
  client?: KubeClient;
  resource: ResourceType;
  /** Watch one namespace instead of all (namespaced kinds only). */
  namespace?: string;
  /** Only objects with these labels are listed and watched (e.g. our managed label). */
  labelSelector?: string;
  /** Only objects whose fields match are listed and watched (`metadata.name=x`). */
  fieldSelector?: string;
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
  /**
   * How long to wait before listing again a type the API server does not
   * serve (its CRD is absent). For a custom resource the informer also
   * watches for its CRD and lists as soon as it is Established, so this is
   * only the safety net. Default 10 minutes.
   */
  absentRetryMs?: number;
  /**
   * Applied to every object before it is cached and handed to handlers:
   * drop what no handler reads, so that thousands of cached objects cost
   * less memory (controller-runtime's cache transforms).
   */
  transform?: <O extends k8s.KubernetesObject>(obj: O) => O;
}

type AddFn<T> = (obj: T) => void;
type UpdateFn<T> = (oldObj: T, newObj: T) => void;

/** A watch that ends sooner than this without delivering anything counts as a failure. */
const HEALTHY_WATCH_MS = 1000;

const CRD_RESOURCE: ResourceType = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};

/** Why a watch stream asked for a relist (410 Gone / Expired). */
class WatchExpired extends Error {}

/**
 * A label-selected cache of one resource type: a list, then a watch from the
 * list's resourceVersion, made durable (the reflector of client-go, in
 * small):
 *  - a failed list or watch is retried with capped, jittered exponential
 *    backoff; a watch that breaks resumes from the last resourceVersion;
 *  - 410 Gone (an HTTP 410 answer, or an in-stream `ERROR` event with code
 *    410) makes it list again from scratch — at once the first time since
 *    a watch last worked, whatever failed before (after an API server
 *    restart the resumed watch gets a 410, and waiting then is blindness),
 *    with backoff when it keeps happening, so a server that answers every
 *    watch with 410 does not get a list/watch loop;
 *  - a successful list resets the backoff: the server is back;
 *  - while it backs off after the server stopped answering, it is woken as
 *    soon as the server answers again (see {@link reachabilityOf}), instead
 *    of sleeping out a backoff of up to 30 s, and its backoff starts over;
 *  - a watch that the server closes at once without any event is a failure
 *    too (backoff), while one that lived or delivered events resets it;
 *  - the server ends each watch after `watchTimeoutSeconds`, so a watch that
 *    stays silent much longer is a dead connection and is restarted;
 *  - a type that is not served (404: an optional CRD such as Multus's is
 *    absent) counts as synced and empty; the informer then watches for the
 *    CRD and lists as soon as it is Established, instead of polling;
 *  - update handlers get the previous object too, so filters can compare;
 *  - a jittered periodic resync hands every cached object to `onResync`;
 *  - `start()` resolves only after the initial list, so workers never act on
 *    an empty cache.
 */
export class Informer<T extends k8s.KubernetesObject> {
  private readonly opts: Required<
    Omit<InformerOptions, 'namespace' | 'labelSelector' | 'fieldSelector' | 'client' | 'transform'>
  > &
    Pick<InformerOptions, 'namespace' | 'labelSelector' | 'fieldSelector' | 'client' | 'transform'>;
  private readonly client: KubeClient;
  private readonly known = new Map<string, T>();
  private readonly adds: AddFn<T>[] = [];
  private readonly updates: UpdateFn<T>[] = [];
  private readonly deletes: AddFn<T>[] = [];
  private readonly resyncs: AddFn<T>[] = [];
  private stopped = true;
  private synced = false;
  private failures = 0;
  /** 410s since a watch last worked: the first relists at once, later ones back off. */
  private goneInARow = 0;
  /** Stops waiting for the server to come back (set while backing off after it went away). */
  private stopWaitingForServer: (() => void) | undefined;
  private generation = 0;
  /** Where the next watch starts; '' means list first. */
  private resourceVersion = '';
  private watchAbort: WatchHandle | undefined;
  private lastActivity = Date.now();
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Watches the CRD of a type found absent; undefined until then. */
  private crdInformer: Informer<k8s.V1CustomResourceDefinition> | undefined;
  /** True while the type is not served and we wait for its CRD. */
  private absent = false;
  /** Times a list or watch was (re)started after the first; for tests and metrics. */
  restarts = 0;
  /** Lists issued (the first one included). */
  lists = 0;
  private readonly serveds: (() => void)[] = [];
  /** Why the last (up to 20) restarts happened, oldest first. */
  readonly restartReasons: string[] = [];

  constructor(opts: InformerOptions) {
    this.opts = {
      watchTimeoutSeconds: 300,
      silenceMarginMs: 30_000,
      resyncMs: 10 * 3600_000,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      absentRetryMs: 10 * 60_000,
      ...opts,
    };
    this.client = opts.client ?? new KubeClient(opts.kubeConfig);
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
  /**
   * Called when a type that was not served (its CRD absent) is listed after
   * all: whoever could not write objects of it may try again now.
   */
  onServed(fn: () => void): void {
    this.serveds.push(fn);
  }

  /** True once the initial list has been delivered (or the type found not served). */
  hasSynced(): boolean {
    return this.synced;
  }

  /** True while the type is not served by the API server (its CRD is absent). */
  isAbsent(): boolean {
    return this.absent;
  }

  /** The cached object, if any. */
  get(name: string, namespace?: string): T | undefined {
    return this.known.get(cacheKey(namespace, name));
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
      const check = () => (this.synced || this.stopped ? resolve() : setTimeout(check, 20).unref());
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
    for (const t of [this.watchdog, this.resyncTimer]) if (t) clearTimeout(t);
    this.cancelRestart();
    this.watchAbort?.abort();
    this.watchAbort = undefined;
    await this.crdInformer?.stop();
  }

  /** Lists (when there is no resourceVersion to resume from), then watches. */
  private launch(): void {
    const gen = ++this.generation;
    void this.listAndWatch(gen).catch((err: unknown) => {
      if (gen === this.generation) this.fail(err);
    });
  }

  private async listAndWatch(gen: number): Promise<void> {
    this.lastActivity = Date.now();
    if (!this.resourceVersion) {
      this.lists++;
      const list = await this.client.listRaw<T>(
        this.opts.resource,
        this.opts.namespace,
        this.opts.labelSelector,
        this.opts.fieldSelector,
      );
      if (gen !== this.generation) return;
      const wasAbsent = this.absent;
      this.absent = false;
      this.replaceAll(list.items);
      this.resourceVersion = list.metadata?.resourceVersion ?? '';
      this.synced = true;
      this.lastActivity = Date.now();
      // The server answers again: whatever failed before, the next trouble
      // starts from a short backoff (410 storms have their own count).
      this.failures = 0;
      if (wasAbsent) for (const fn of this.serveds) fn();
    }
    const opened = Date.now();
    let delivered = 0;
    let expired = false;
    let streamError: Error | undefined;
    const query: Record<string, string | number | boolean> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      // The server closes idle watches after this, which is what lets the
      // watchdog tell a quiet watch from a dead one.
      timeoutSeconds: this.opts.watchTimeoutSeconds,
    };
    if (this.opts.labelSelector) query.labelSelector = this.opts.labelSelector;
    if (this.opts.fieldSelector) query.fieldSelector = this.opts.fieldSelector;
    const onEvent = ({ type, object }: WatchEvent) => {
      if (gen !== this.generation) return;
      this.lastActivity = Date.now();
      if (type === 'ERROR') {
        if (object.code === 410) {
          // The server ends the stream after this anyway; relist without waiting for it.
          expired = true;
          this.watchAbort?.abort();
          onDone(undefined);
        } else {
          streamError = Object.assign(new Error(object.message ?? 'watch error event'), {
            statusCode: object.code,
          });
        }
        return;
      }
      delivered++;
      if (delivered === 1) this.watchWorks();
      const rv = object.metadata?.resourceVersion;
      if (type === 'ADDED' || type === 'MODIFIED') this.observe(object as T);
      else if (type === 'DELETED') this.forgetObject(object as T);
      if (rv) this.resourceVersion = rv;
    };
    const onDone = (err: unknown) => {
      if (gen !== this.generation || this.stopped) return;
      this.watchAbort = undefined;
      clearTimeout(settle);
      if ((err && isGone(err)) || expired) {
        this.resourceVersion = '';
        this.relistAfterGone(err ?? new WatchExpired('watch expired (410 in the stream)'));
      } else if (err) {
        this.fail(err);
      } else if (streamError) {
        this.fail(streamError);
      } else if (delivered === 0 && Date.now() - opened < HEALTHY_WATCH_MS) {
        this.fail(new Error('the watch closed at once without any event'));
      } else {
        // The server ended a healthy watch (its timeout): resume at once.
        this.watchWorks();
        this.launch();
      }
    };
    // A watch the server answered that stays open a while works, even if
    // nothing happens on it (one still waiting for its answer does not).
    const settle = setTimeout(() => {
      if (gen === this.generation && this.watchAbort?.open) this.watchWorks();
    }, HEALTHY_WATCH_MS);
    settle.unref();
    this.watchAbort = openWatch(
      this.opts.kubeConfig,
      collectionPath(this.opts.resource, this.opts.namespace),
      query,
      onEvent,
      onDone,
    );
  }

  /** A watch delivered events or stayed open: errors before it are history. */
  private watchWorks(): void {
    this.failures = 0;
    this.goneInARow = 0;
  }

  /**
   * 410: list again — at once the first time since a watch last worked, even
   * right after network errors (the usual way back from an API server
   * restart); with backoff when it keeps happening, counted on its own since
   * each successful list resets the other count.
   */
  private relistAfterGone(err: unknown): void {
    const inARow = this.goneInARow++;
    if (inARow === 0) {
      this.note(err, 0);
      this.restarts++;
      this.launch();
      return;
    }
    // One step on from the first backoff, as when 410s counted as failures.
    this.fail(err, this.delay(inARow + 1));
  }

  /**
   * Restarts after `err`: backoff (or `delay`), or (for a type that is not
   * served) wait for its CRD.
   */
  private fail(err: unknown, delayMs?: number): void {
    if (this.stopped || this.restartTimer) return;
    this.generation++; // whatever is still running belongs to the failed attempt
    this.watchAbort?.abort();
    this.watchAbort = undefined;
    let delay: number;
    if (delayMs !== undefined) {
      delay = delayMs;
    } else if (isNotFound(err) && this.resourceVersion !== '') {
      // A watch on a type that stopped being served (its CRD was deleted):
      // list next time, which tells whether it is gone for good.
      this.resourceVersion = '';
      delay = this.backoff();
    } else if (isNotFound(err)) {
      // The resource type is not served (an optional CRD is absent): there is
      // nothing to cache. Count as synced, and list again when its CRD shows
      // up (or, as a safety net, after a long while) rather than polling.
      this.synced = true;
      this.absent = true;
      this.replaceAll([]);
      const crdName = this.crdName();
      if (crdName && this.crdEstablished() !== true) {
        this.watchForCrd(crdName);
        delay = Math.round(this.opts.absentRetryMs * (0.9 + Math.random() * 0.2));
      } else {
        // The CRD is there but the type not yet served: a short wait helps.
        delay = this.backoff();
      }
    } else {
      // A throttled list or watch waits at least as long as the server asked.
      delay = Math.max(this.backoff(), (toKubeError(err).retryAfterSeconds ?? 0) * 1000);
    }
    this.note(err, delay);
    const restart = () => {
      this.cancelRestart();
      if (!this.stopped) {
        this.restarts++;
        this.launch();
      }
    };
    this.restartTimer = setTimeout(restart, delay);
    this.restartTimer.unref();
    // The server did not answer, or failed or throttled as a whole (a
    // restarting server says "storage is (re)initializing"): come back as
    // soon as it answers again rather than when the backoff says — but never
    // before a Retry-After it asked for.
    const k = toKubeError(err);
    if (k.code === 0 || k.code === 429 || k.code >= 500) {
      const notBefore = Date.now() + (k.retryAfterSeconds ?? 0) * 1000;
      this.stopWaitingForServer = reachabilityOf(this.opts.kubeConfig).whenBack(() => {
        this.stopWaitingForServer = undefined;
        if (!this.restartTimer) return;
        logger.debug('API server answers again; resuming', { informer: this.name });
        // Its failures were about its absence. A server just back may still
        // say "storage is (re)initializing" for a while (429, Retry-After
        // 1 s, past /readyz for custom resources): that must cost a second,
        // not the 30 s the outage's backoff had reached.
        this.failures = 0;
        clearTimeout(this.restartTimer);
        this.restartTimer = setTimeout(restart, Math.max(0, notBefore - Date.now()));
        this.restartTimer.unref();
      });
    }
  }

  /** Drops the pending restart: its timer, and its wait for the server. */
  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.stopWaitingForServer?.();
    this.stopWaitingForServer = undefined;
  }

  private backoff(): number {
    this.failures++;
    return this.delay(this.failures);
  }

  /** The jittered exponential delay before attempt `n` (1: the base). */
  private delay(n: number): number {
    const exp = Math.min(
      this.opts.backoffMaxMs,
      this.opts.backoffBaseMs * 2 ** Math.min(n - 1, 20),
    );
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }

  private note(err: unknown, delay: number): void {
    const reason = err instanceof WatchExpired ? err.message : describeKubeError(err);
    this.restartReasons.push(reason);
    if (this.restartReasons.length > 20) this.restartReasons.shift();
    // A type that is not served is expected (optional CRDs), and so is an
    // occasional 410: say so quietly.
    const quiet = isNotFound(err) || delay === 0;
    logger.log(quiet ? 'debug' : 'warn', 'watch failed; restarting', {
      informer: this.name,
      error: reason,
      retryInMs: delay,
      failures: this.failures,
    });
  }

  /** `<plural>.<group>`: the CRD that would serve this type, if it is a custom resource. */
  private crdName(): string | undefined {
    const r = this.opts.resource;
    const group = apiGroupOf(r.apiVersion);
    // Built-in groups are served by the API server itself; custom ones have a dot.
    if (!group.includes('.') || group.endsWith('.k8s.io')) return undefined;
    return `${r.plural}.${group}`;
  }

  /** Whether the CRD watch sees the type's CRD Established; undefined when not watching. */
  private crdEstablished(): boolean | undefined {
    const name = this.crdName();
    if (!this.crdInformer?.hasSynced() || !name) return undefined;
    return established(this.crdInformer.get(name));
  }

  private watchForCrd(name: string): void {
    if (this.crdInformer) return;
    const inf = new Informer<k8s.V1CustomResourceDefinition>({
      kubeConfig: this.opts.kubeConfig,
      client: this.client,
      resource: CRD_RESOURCE,
      fieldSelector: `metadata.name=${name}`,
      watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
      silenceMarginMs: this.opts.silenceMarginMs,
      backoffBaseMs: this.opts.backoffBaseMs,
      backoffMaxMs: this.opts.backoffMaxMs,
    });
    const wake = (crd: k8s.V1CustomResourceDefinition) => {
      // Only while waiting: a list already under way needs no second one.
      if (!this.absent || this.stopped || !this.restartTimer || !established(crd)) return;
      logger.debug('CRD established; listing', { informer: this.name, crd: name });
      this.cancelRestart();
      this.failures = 0;
      this.restarts++;
      this.launch();
    };
    inf.onAdd(wake);
    inf.onUpdate((_, crd) => wake(crd));
    this.crdInformer = inf;
    void inf.start();
  }

  private armWatchdog(): void {
    const limit = this.opts.watchTimeoutSeconds * 1000 + this.opts.silenceMarginMs;
    const check = () => {
      if (this.stopped) return;
      if (!this.restartTimer && !this.absent && Date.now() - this.lastActivity > limit) {
        this.fail(new Error(`no watch activity for ${Math.round(limit / 1000)}s`));
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
    return cacheKey(o.metadata?.namespace, o.metadata?.name ?? '');
  }

  private observe(received: T): void {
    const o = this.opts.transform ? this.opts.transform(received) : received;
    const key = this.keyOf(o);
    const old = this.known.get(key);
    if (old && old.metadata?.resourceVersion === o.metadata?.resourceVersion) return;
    this.known.set(key, o);
    if (old) for (const fn of this.updates) fn(old, o);
    else for (const fn of this.adds) fn(o);
  }

  private forgetObject(o: T): void {
    const key = this.keyOf(o);
    const old = this.known.get(key) ?? o;
    if (!this.known.delete(key)) return;
    for (const fn of this.deletes) fn(old);
  }

  /** A fresh list replaces the cache: adds, updates, and deletes for what is gone. */
  private replaceAll(items: T[]): void {
    const present = new Set(items.map((o) => this.keyOf(o)));
    for (const [key, old] of [...this.known]) {
      if (!present.has(key)) {
        this.known.delete(key);
        for (const fn of this.deletes) fn(old);
      }
    }
    for (const o of items) this.observe(o);
  }
}

function established(crd: k8s.V1CustomResourceDefinition | undefined): boolean {
  return !!crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
}
