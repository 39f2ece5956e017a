import type * as k8s from '@kubernetes/client-node';
import type { KubeAccess } from '../kube/access.js';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../api/types.js';
import { ignoreStatus, WATCHED_KINDS, type WatchedKind } from '../apply/kinds.js';
import {
  ownerOf,
  withoutFieldSets,
  writtenByOperator,
  type LiveState,
  type Owner,
} from '../apply/live.js';
import { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { cacheKey } from '../kube/resource.js';
import { logger } from '../log/logger.js';
import { eventRecorder, type TrackedEventRecorder } from './events.js';
import { Informer } from './informer.js';
import { createMetrics, type OperatorMetrics } from './metrics.js';
import type { ReconcileResult } from './reconcile-frame.js';
import { reconcile, type ReconcileContext } from './reconciler.js';
import { runWorkers, WorkQueue, type WorkQueueOptions } from './workqueue.js';
import { IOP_RESOURCE, LABELS, normalRevision, revisionOf } from '../api/vocabulary.js';
import { RevisionClaim, RevisionClaims } from './revision-claims.js';

/** Settings for {@link OperatorManager}. */
export interface ManagerOptions {
  kubeConfig: KubeAccess;
  /** Reconcile only IstioOperators in these namespaces (default: all). */
  watchNamespaces?: string[];
  /**
   * Reconcile only IstioOperators whose `spec.revision` is this one
   * (`default` or '': those without a revision), and claim that revision
   * (see revision-claims.ts). Unset: every revision, except those whose own
   * operator holds a fresh claim — one operator runs a 1.29 control plane
   * and a 1.30 canary side by side, each rendered from its own line.
   */
  revision?: string;
  /**
   * Where revision claims live: the operator's namespace (the CLI passes the
   * leader-election namespace). Unset: no claims are written or read, and an
   * operator of every revision reconciles every revision.
   */
  claimNamespace?: string;
  /** Parallel reconciles. Default 4. */
  workers?: number;
  /** Informer resync period. Default 10 h. */
  resyncMs?: number;
  /** Delay between readiness checks while rolling out. Default 5 s. */
  requeueWhileRollingMs?: number;
  /** Coalescing of spec-change bursts (defaults 200 ms quiet, 1 s at most); see {@link WorkQueue}. */
  queue?: Pick<WorkQueueOptions, 'coalesceQuietMs' | 'coalesceMaxMs' | 'clock'>;
  /** Told about every reconcile as it ends (benchmarks and tests trace with it). */
  onReconcile?(r: ReconcileRecord): void;
  /** The renderer the reconciler uses; tests replace it to exercise a renderer failure. */
  render?: ReconcileContext['render'];
}

/** One finished reconcile, for {@link ManagerOptions.onReconcile}. */
export interface ReconcileRecord {
  key: string;
  reconcileID: string;
  result: ReconcileResult['result'];
  /** Wall-clock start (`Date.now()`). */
  startedAt: number;
  ms: number;
}

/** How long the manager hands out its own status write instead of a cache that lacks it. */
const WRITTEN_TTL_MS = 5000;

/** Counts of reconcile results since start, by result. */
export type ReconcileCounts = Record<ReconcileResult['result'], number>;

/**
 * Runs the operator: informers for IstioOperators and for every kind in the
 * watch table (label-selected, so the caches hold only what the operator
 * owns), a work queue of IstioOperator keys, and workers that reconcile.
 * Events on owned objects are mapped to their owner through the owner
 * labels, so drift anywhere brings the owning IstioOperator back to its
 * desired state.
 */
export class OperatorManager {
  readonly client: KubeClient;
  readonly queue: WorkQueue;
  readonly metrics: OperatorMetrics;
  private readonly events: TrackedEventRecorder;
  readonly counts: ReconcileCounts = {
    done: 0,
    requeueAfter: 0,
    terminal: 0,
    error: 0,
    conflict: 0,
  };
  private readonly iopInformers: Informer<IstioOperator & k8s.KubernetesObject>[] = [];
  private readonly owned = new Map<string, Informer<k8s.KubernetesObject>>();
  /**
   * Per key, the IstioOperator as the last reconcile that wrote its status
   * left it (status and resourceVersion of that write), until the cache has it,
   * and when that was.
   */
  private readonly written = new Map<string, { iop: IstioOperator; at: number }>();
  /** True when two IstioOperators differ in more than status and bookkeeping metadata. */
  private readonly differsBesidesStatus = ignoreStatus();
  private workers: Promise<void> | undefined;
  private ready = false;
  /** The revision this operator reconciles ('' for none); undefined: every revision. */
  private readonly revision: string | undefined;
  /** Held when this operator is one revision's own. */
  private readonly claim: RevisionClaim | undefined;
  /** Watched when this operator is every revision's. */
  private readonly claims: RevisionClaims | undefined;

  constructor(private readonly opts: ManagerOptions) {
    this.client = new KubeClient(opts.kubeConfig);
    this.queue = new WorkQueue(opts.queue);
    this.metrics = createMetrics(this.queue, this.client);
    this.events = eventRecorder(this.client);
    this.revision = opts.revision === undefined ? undefined : normalRevision(opts.revision);
    const ns = opts.claimNamespace;
    if (ns && this.revision !== undefined)
      this.claim = new RevisionClaim(opts.kubeConfig, ns, this.revision);
    else if (ns)
      this.claims = new RevisionClaims(opts.kubeConfig, ns, (revisions) =>
        this.enqueueRevisions(revisions),
      );
  }

  /**
   * True when nothing is queued, held back by a burst of spec changes, being
   * reconciled or being written in the background (Events): the moment to
   * measure that the steady state is quiet.
   */
  isIdle(): boolean {
    return (
      this.queue.len() === 0 &&
      this.queue.deferredLen() === 0 &&
      this.queue.inFlight() === 0 &&
      this.events.pending() === 0
    );
  }

  /**
   * True once every informer has synced (the readiness probe). A standby
   * replica under leader election is ready too: it can take over at once.
   */
  isReady(): boolean {
    return this.ready;
  }

  /** The live state as the caches see it. */
  readonly live: LiveState = {
    ownerExists: async (owner: Owner) => {
      if (this.watchesNamespace(owner.namespace)) {
        return this.getIstioOperator(owner.namespace, owner.name) !== undefined;
      }
      // Not in our caches: ask. Unless the API says it is gone, it counts as existing.
      try {
        await this.client.get({
          ...IOP_RESOURCE,
          metadata: { name: owner.name, namespace: owner.namespace },
        });
        return true;
      } catch (err) {
        return !isNotFound(err);
      }
    },
    get: (apiVersion, kind, namespace, name) =>
      this.owned.get(`${apiVersion} ${kind}`)?.get(name, namespace),
    ownedBy: (owner: Owner) => {
      const out: k8s.KubernetesObject[] = [];
      for (const inf of this.owned.values()) {
        for (const o of inf.list()) {
          const who = ownerOf(o);
          if (who && who.name === owner.name && who.namespace === owner.namespace) out.push(o);
        }
      }
      return out;
    },
  };

  /**
   * Starts informers, waits until they have synced, then starts the workers —
   * unless `workers: false`: a replica waiting for leadership keeps its caches
   * warm (and its queue filled with keys) and calls {@link startWorkers} once
   * it leads.
   */
  async start(opts: { workers?: boolean } = {}): Promise<void> {
    const { kubeConfig } = this.opts;
    const namespaces = this.opts.watchNamespaces?.length ? this.opts.watchNamespaces : [undefined];
    for (const ns of namespaces) {
      const inf = new Informer<IstioOperator & k8s.KubernetesObject>({
        kubeConfig,
        client: this.client,
        resource: IOP_RESOURCE,
        ...(ns ? { namespace: ns } : {}),
        ...(this.opts.resyncMs ? { resyncMs: this.opts.resyncMs } : {}),
      });
      const key = (o: k8s.KubernetesObject) =>
        cacheKey(o.metadata?.namespace, o.metadata?.name ?? '');
      const enqueue = (o: k8s.KubernetesObject) => {
        if (this.ownsRevision(o as IstioOperator)) this.queue.add(key(o));
      };
      inf.onAdd(enqueue);
      // Our own status writes change only status: ignoring them keeps the loop from feeding itself.
      const iopFilter = ignoreStatus();
      inf.onDelete((o) => this.written.delete(key(o)));
      inf.onUpdate((a, b) => {
        this.forgetWritten(b);
        if (!iopFilter(a, b)) return;
        // A new generation is a spec change, which the queue coalesces in bursts.
        // Not a deletion: setting deletionTimestamp bumps the generation too.
        if (
          a.metadata?.generation !== b.metadata?.generation &&
          !b.metadata?.deletionTimestamp &&
          this.ownsRevision(b)
        )
          this.queue.addSpecChange(key(b));
        else enqueue(b);
      });
      inf.onResync(enqueue);
      this.iopInformers.push(inf);
    }
    for (const w of WATCHED_KINDS)
      this.owned.set(`${w.apiVersion} ${w.kind}`, this.ownedInformer(w));

    const all = [...this.iopInformers, ...this.owned.values()];
    const t0 = Date.now();
    // The claim is written before any reconcile here, and the claims are
    // read before any reconcile there: neither starts on a revision the
    // other holds.
    await Promise.all([...all.map((i) => i.start()), this.claim?.start(), this.claims?.start()]);
    logger.info('caches synced', { informers: all.length, ms: Date.now() - t0 });
    this.ready = true;
    if (opts.workers !== false) this.startWorkers();
  }

  /** Starts the reconcile workers (once; later calls do nothing). */
  startWorkers(): void {
    this.workers ??= runWorkers(this.queue, this.opts.workers ?? 4, (key) => this.handle(key));
  }

  /** True once workers run (on a replica that leads, or without leader election). */
  hasWorkers(): boolean {
    return this.workers !== undefined;
  }

  /** Stops taking work, waits for in-flight reconciles, stops the informers. */
  async stop(): Promise<void> {
    this.ready = false;
    this.queue.shutDown();
    await this.workers;
    await Promise.all([...this.iopInformers, ...this.owned.values()].map((i) => i.stop()));
    // Last: the revision is handed back only once no reconcile of ours runs.
    await this.claim?.release();
    await this.claims?.stop();
  }

  private watchesNamespace(ns: string | undefined): boolean {
    const list = this.opts.watchNamespaces;
    return !list?.length || (ns !== undefined && list.includes(ns));
  }

  private ownedInformer(w: WatchedKind): Informer<k8s.KubernetesObject> {
    const inf = new Informer<k8s.KubernetesObject>({
      kubeConfig: this.opts.kubeConfig,
      client: this.client,
      resource: w,
      labelSelector: `${LABELS.managed}=Reconcile`,
      ...(this.opts.resyncMs ? { resyncMs: this.opts.resyncMs } : {}),
      transform: withoutFieldSets,
    });
    const toOwner = (o: k8s.KubernetesObject) => {
      // Objects others derive from ours (Endpoints of our Services) carry our
      // labels but are not ours: their churn must not wake the reconciler.
      if (!writtenByOperator(o)) return;
      const owner = ownerOf(o);
      if (owner && this.watchesNamespace(owner.namespace))
        this.queue.add(`${owner.namespace}/${owner.name}`);
    };
    inf.onAdd(toOwner);
    inf.onUpdate((a, b) => w.filter(a, b) && toOwner(b));
    inf.onDelete(toOwner);
    // A kind that was not served is now (Multus installed after an
    // openshift profile): the IstioOperators that could not apply their
    // objects of it try again. No object of it exists yet to map to one.
    inf.onServed(() => {
      for (const iop of this.cachedIstioOperators()) {
        if (this.ownsRevision(iop))
          this.queue.add(cacheKey(iop.metadata.namespace, iop.metadata.name ?? ''));
      }
    });
    return inf;
  }

  private getIstioOperator(namespace: string, name: string): IstioOperator | undefined {
    return this.lookup(namespace, name);
  }

  /**
   * A copy of the IstioOperator to reconcile. Reads our own writes: until the
   * cache has the status our last reconcile wrote, that reconcile's copy is
   * handed out instead. A reconcile reading the cache's older status would
   * write status again, from a stale resourceVersion, and lose with a
   * conflict. Only while the cache's object equals the copy in everything but
   * status: a change by anyone else (spec, labels, finalizers, deletion) is
   * always read from the cache.
   */
  private lookup(namespace: string, name: string): IstioOperator | undefined {
    const key = `${namespace}/${name}`;
    for (const inf of this.iopInformers) {
      const o = inf.get(name, namespace);
      if (!o) continue;
      this.forgetWritten(o);
      // Reconcile a copy: the reconciler updates status and resourceVersion as it writes.
      return structuredClone(this.written.get(key)?.iop ?? o);
    }
    this.written.delete(key);
    return undefined;
  }

  /**
   * Drops our written copy of `o` once the cache has it, has moved on in other
   * ways, or after {@link WRITTEN_TTL_MS}: a cache that lags longer is not the
   * usual race, and someone else may have written status since.
   */
  private forgetWritten(o: k8s.KubernetesObject): void {
    const key = cacheKey(o.metadata?.namespace, o.metadata?.name ?? '');
    const mine = this.written.get(key);
    if (
      mine &&
      (mine.iop.metadata.resourceVersion === o.metadata?.resourceVersion ||
        this.differsBesidesStatus(mine.iop as k8s.KubernetesObject, o) ||
        Date.now() - mine.at > WRITTEN_TTL_MS)
    )
      this.written.delete(key);
  }

  /**
   * Every cached IstioOperator of every revision, as the caches hold them
   * (read-only, not copies: the same object until it changes).
   */
  private cachedIstioOperators(): readonly IstioOperator[] {
    return this.iopInformers.flatMap((inf) => inf.list() as IstioOperator[]);
  }

  /** The IstioOperator as the caches hold it (read-only), if any holds it. */
  private cachedIstioOperator(namespace: string, name: string): IstioOperator | undefined {
    return this.iopInformers.map((i) => i.get(name, namespace)).find((o) => o !== undefined);
  }

  /**
   * Whether this operator reconciles the IstioOperator's revision: its one
   * revision, or (an operator of every revision) any revision whose own
   * operator holds no fresh claim.
   */
  private ownsRevision(iop: IstioOperator): boolean {
    const rev = revisionOf(iop);
    if (this.revision !== undefined) return rev === this.revision;
    return !this.claims?.isClaimed(rev);
  }

  /**
   * A revision was claimed or handed back: its IstioOperators are reconciled
   * by whoever holds it now (a handed-back revision must not wait for the
   * next resync; a claimed one is dropped by handle()).
   */
  private enqueueRevisions(revisions: readonly string[]): void {
    for (const iop of this.cachedIstioOperators()) {
      if (revisions.includes(revisionOf(iop)) && this.ownsRevision(iop))
        this.queue.add(cacheKey(iop.metadata.namespace, iop.metadata.name ?? ''));
    }
  }

  private async handle(key: string): Promise<void> {
    // Woken by an object another revision's operator applied: not ours to
    // reconcile (nor to count). One gone from the cache still goes through
    // reconcile, which finds nothing to do.
    const [cns, cname] = key.split('/') as [string, string];
    const cached = this.cachedIstioOperator(cns, cname);
    if (cached && !this.ownsRevision(cached)) {
      this.queue.forget(key);
      return;
    }
    const id = randomBytes(4).toString('hex');
    const startedAt = Date.now();
    /** The copy this reconcile works on, and its resourceVersion then. */
    let handed: { iop: IstioOperator; rv: string | undefined } | undefined;
    const r = await reconcile(
      key,
      {
        client: this.client,
        live: this.live,
        getIstioOperator: (ns, name) => {
          const iop = this.lookup(ns, name);
          if (iop && !handed) handed = { iop, rv: iop.metadata.resourceVersion };
          // Another revision's operator handles it (deletion included).
          return iop && this.ownsRevision(iop) ? iop : undefined;
        },
        otherIstioOperators: () => this.cachedIstioOperators(),
        now: () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        ...(this.opts.requeueWhileRollingMs
          ? { requeueWhileRollingMs: this.opts.requeueWhileRollingMs }
          : {}),
        onApplied: (component: string, n: number) =>
          this.metrics.objectsApplied.inc({ component }, n),
        onPruned: (n: number) => this.metrics.objectsPruned.inc(n),
        event: this.events,
        ...(this.opts.render ? { render: this.opts.render } : {}),
      },
      id,
    );
    // The reconciler keeps its copy in step with the status it wrote; remember
    // it until the cache has it (see lookup).
    if (r.result === 'conflict') {
      // Someone else wrote meanwhile: our copy is behind; read the cache again.
      this.written.delete(key);
    } else if (handed && handed.iop.metadata.resourceVersion !== handed.rv) {
      this.written.set(key, { iop: structuredClone(handed.iop), at: Date.now() });
      const [ns, name] = key.split('/') as [string, string];
      const cached = this.cachedIstioOperator(ns, name);
      if (cached) this.forgetWritten(cached);
    }
    this.counts[r.result]++;
    const ms = Date.now() - startedAt;
    this.opts.onReconcile?.({ key, reconcileID: id, result: r.result, startedAt, ms });
    this.metrics.reconciles.inc({ result: r.result });
    this.metrics.reconcileSeconds.observe({ result: r.result }, ms / 1000);
    switch (r.result) {
      case 'done':
      case 'terminal':
        this.queue.forget(key);
        logger.debug('reconciled', { iop: key, reconcileID: id, result: r.result, ms });
        break;
      case 'requeueAfter':
        this.queue.forget(key);
        this.queue.addAfter(key, r.ms);
        logger.debug('reconciled, checking again later', {
          iop: key,
          reconcileID: id,
          inMs: r.ms,
          ms,
        });
        break;
      case 'conflict':
        this.queue.addRateLimited(key);
        logger.debug('conflict, retrying', { iop: key, reconcileID: id });
        break;
      case 'error': {
        const delay = this.queue.addRateLimited(key);
        logger.warn('reconcile failed', {
          iop: key,
          reconcileID: id,
          error: r.error,
          retryInMs: delay,
        });
        break;
      }
    }
  }
}
