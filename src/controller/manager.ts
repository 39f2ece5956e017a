import type * as k8s from '@kubernetes/client-node';
import type { KubeAccess } from '../kube/access.js';
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
import { operatorEvents, type TrackedEventRecorder } from './events.js';
import { Informer } from '../runtime/informer.js';
import { createMetrics, type OperatorMetrics } from './metrics.js';
import { OwnStatusWrites } from './own-writes.js';
import { ProxiesLoop } from './proxies-loop.js';
import type { ReconcileContext } from './reconcile-context.js';
import { reconcile } from './reconciler.js';
import {
  Controller,
  type ReconcileCounts,
  type ReconcileRecord,
  type Request,
} from '../runtime/controller.js';
import type { ReconcileResult } from '../runtime/reconcile-frame.js';
import type { WorkQueue, WorkQueueOptions } from '../runtime/workqueue.js';
import { IOP_RESOURCE, LABELS, revisionOf } from '../api/vocabulary.js';
import { RevisionScope } from './revision-scope.js';

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
  /** How often the proxies loop scans an IstioOperator's pods when nothing wakes it (default 30 s). */
  proxiesScanMs?: number;
  /** The renderer the reconciler uses; tests replace it to exercise a renderer failure. */
  render?: ReconcileContext['render'];
}

/** Re-exported for the benchmarks and tests, which know the operator by its manager. */
export type { ReconcileCounts, ReconcileRecord };

/**
 * Runs the operator on a runtime {@link Controller}: informers for
 * IstioOperators and for every kind in the watch table (label-selected, so
 * the caches hold only what the operator owns), whose events map to
 * IstioOperator keys — drift on an owned object to its owner through the
 * owner labels, so drift anywhere brings the owning IstioOperator back to
 * its desired state — and the IstioOperator reconciler. Beside that it
 * keeps what is the operator's own: which revisions it reconciles
 * (revision-scope.ts) and its own status writes (own-writes.ts).
 */
export class OperatorManager {
  readonly client: KubeClient;
  readonly controller: Controller;
  readonly metrics: OperatorMetrics;
  private readonly events: TrackedEventRecorder;
  private readonly iopInformers: Informer<IstioOperator & k8s.KubernetesObject>[] = [];
  private readonly owned = new Map<string, Informer<k8s.KubernetesObject>>();
  private readonly written = new OwnStatusWrites();
  private ready = false;
  private readonly revisions: RevisionScope;
  /** The second loop: which proxies the revisions' pods run, and the opted-in restarts. */
  readonly proxies: ProxiesLoop;

  constructor(private readonly opts: ManagerOptions) {
    this.client = new KubeClient(opts.kubeConfig);
    this.controller = new Controller({
      logField: 'iop',
      reconcile: (key, id) => this.reconcile(key, id),
      // Woken by an object another revision's operator applied: not ours to
      // reconcile (nor to count). One gone from the cache still goes through
      // reconcile, which finds nothing to do.
      accepts: (key) => {
        const [ns, name] = key.split('/') as [string, string];
        const cached = this.cachedIstioOperator(ns, name);
        return !cached || this.ownsRevision(cached);
      },
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.queue ? { queue: opts.queue } : {}),
      onReconcile: (r) => {
        this.opts.onReconcile?.(r);
        this.metrics.observe(r);
      },
    });
    this.metrics = createMetrics(this.queue, this.client);
    this.events = operatorEvents(this.client);
    this.revisions = new RevisionScope(opts.kubeConfig, opts, (revisions) =>
      this.enqueueRevisions(revisions),
    );
    this.proxies = new ProxiesLoop({
      client: this.client,
      event: this.events,
      metrics: this.metrics,
      get: (ns, name) => this.lookup(ns, name),
      all: () => this.cachedIstioOperators(),
      owns: (iop) => this.ownsRevision(iop),
      wrote: (iop) => {
        const [ns, name] = [iop.metadata.namespace ?? '', iop.metadata.name ?? ''];
        this.written.remember(`${ns}/${name}`, iop, this.cachedIstioOperator(ns, name));
      },
      ...(opts.proxiesScanMs !== undefined ? { scanMs: opts.proxiesScanMs } : {}),
    });
  }

  /** The work queue of IstioOperator keys. */
  get queue(): WorkQueue {
    return this.controller.queue;
  }

  /** Counts of reconcile results since start, by result. */
  get counts(): ReconcileCounts {
    return this.controller.counts;
  }

  /**
   * True when nothing is queued, held back by a burst of spec changes, being
   * reconciled or being written in the background (Events): the moment to
   * measure that the steady state is quiet.
   */
  isIdle(): boolean {
    return this.controller.isIdle() && this.proxies.isIdle() && this.events.pending() === 0;
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
        return this.lookup(owner.namespace, owner.name) !== undefined;
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
    const namespaces = this.opts.watchNamespaces?.length ? this.opts.watchNamespaces : [undefined];
    for (const ns of namespaces) this.iopInformers.push(this.istioOperatorInformer(ns));
    for (const w of WATCHED_KINDS)
      this.owned.set(`${w.apiVersion} ${w.kind}`, this.ownedInformer(w));

    const all = [...this.iopInformers, ...this.owned.values()];
    const t0 = Date.now();
    // The claim is written before any reconcile here, and the claims are
    // read before any reconcile there: neither starts on a revision the
    // other holds.
    await Promise.all([...all.map((i) => i.start()), this.revisions.start()]);
    logger.info('caches synced', { informers: all.length, ms: Date.now() - t0 });
    this.ready = true;
    if (opts.workers !== false) this.startWorkers();
  }

  /** Starts the reconcile workers (once; later calls do nothing). */
  startWorkers(): void {
    this.controller.startWorkers();
    this.proxies.controller.startWorkers();
  }

  /** True once workers run (on a replica that leads, or without leader election). */
  hasWorkers(): boolean {
    return this.controller.hasWorkers();
  }

  /** Stops taking work, waits for in-flight reconciles, stops the informers. */
  async stop(): Promise<void> {
    this.ready = false;
    await Promise.all([this.controller.stop(), this.proxies.controller.stop()]);
    await Promise.all([...this.iopInformers, ...this.owned.values()].map((i) => i.stop()));
    // Last: the revision is handed back only once no reconcile of ours runs.
    await this.revisions.stop();
  }

  private watchesNamespace(ns: string | undefined): boolean {
    const list = this.opts.watchNamespaces;
    return !list?.length || (ns !== undefined && list.includes(ns));
  }

  /** The informer of IstioOperators in `ns` (all namespaces when undefined), wired to the queue. */
  private istioOperatorInformer(
    ns: string | undefined,
  ): Informer<IstioOperator & k8s.KubernetesObject> {
    const inf = new Informer<IstioOperator & k8s.KubernetesObject>({
      kubeConfig: this.opts.kubeConfig,
      client: this.client,
      resource: IOP_RESOURCE,
      ...(ns ? { namespace: ns } : {}),
      ...(this.opts.resyncMs ? { resyncMs: this.opts.resyncMs } : {}),
    });
    const keyOf = (o: k8s.KubernetesObject) =>
      cacheKey(o.metadata?.namespace, o.metadata?.name ?? '');
    const ours = (o: IstioOperator & k8s.KubernetesObject): Request[] =>
      this.ownsRevision(o) ? [keyOf(o)] : [];
    // Our own status writes change only status: ignoring them keeps the loop from feeding itself.
    const iopFilter = ignoreStatus();
    this.controller.watch(inf, {
      add: ours,
      delete: (o) => {
        this.written.drop(keyOf(o));
        return [];
      },
      update: (a, b) => {
        this.written.forget(b);
        if (!iopFilter(a, b)) return [];
        // A new generation is a spec change, which the queue coalesces in bursts.
        // Not a deletion: setting deletionTimestamp bumps the generation too.
        if (
          a.metadata?.generation !== b.metadata?.generation &&
          !b.metadata?.deletionTimestamp &&
          this.ownsRevision(b)
        )
          return [{ specChange: keyOf(b) }];
        return ours(b);
      },
      resync: ours,
    });
    this.proxies.watch(inf);
    return inf;
  }

  /** The informer of one watched kind (only what we own), its events mapped to the owner. */
  private ownedInformer(w: WatchedKind): Informer<k8s.KubernetesObject> {
    const inf = new Informer<k8s.KubernetesObject>({
      kubeConfig: this.opts.kubeConfig,
      client: this.client,
      resource: w,
      labelSelector: `${LABELS.managed}=Reconcile`,
      ...(this.opts.resyncMs ? { resyncMs: this.opts.resyncMs } : {}),
      transform: withoutFieldSets,
    });
    const toOwner = (o: k8s.KubernetesObject): Request[] => {
      // Objects others derive from ours (Endpoints of our Services) carry our
      // labels but are not ours: their churn must not wake the reconciler.
      if (!writtenByOperator(o)) return [];
      const owner = ownerOf(o);
      return owner && this.watchesNamespace(owner.namespace)
        ? [`${owner.namespace}/${owner.name}`]
        : [];
    };
    this.controller.watch(inf, {
      add: toOwner,
      update: (a, b) => (w.filter(a, b) ? toOwner(b) : []),
      delete: toOwner,
      // A kind that was not served is now (Multus installed after an
      // openshift profile): the IstioOperators that could not apply their
      // objects of it try again. No object of it exists yet to map to one.
      served: () =>
        this.cachedIstioOperators()
          .filter((iop) => this.ownsRevision(iop))
          .map((iop) => cacheKey(iop.metadata.namespace, iop.metadata.name ?? '')),
    });
    return inf;
  }

  /**
   * A copy of the IstioOperator to reconcile. Reads our own writes (see
   * own-writes.ts): until the cache has the status our last reconcile
   * wrote, that reconcile's copy is handed out instead.
   */
  private lookup(namespace: string, name: string): IstioOperator | undefined {
    const key = `${namespace}/${name}`;
    const cached = this.cachedIstioOperator(namespace, name);
    if (cached) return this.written.read(key, cached);
    this.written.drop(key);
    return undefined;
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

  /** Whether this operator reconciles the IstioOperator's revision (see revision-scope.ts). */
  private ownsRevision(iop: IstioOperator): boolean {
    return this.revisions.owns(iop);
  }

  /**
   * A revision was claimed or handed back: its IstioOperators are reconciled
   * by whoever holds it now (a handed-back revision must not wait for the
   * next resync; a claimed one is dropped by the controller's `accepts`).
   */
  private enqueueRevisions(revisions: readonly string[]): void {
    this.controller.enqueue(
      this.cachedIstioOperators()
        .filter((iop) => revisions.includes(revisionOf(iop)) && this.ownsRevision(iop))
        .map((iop) => cacheKey(iop.metadata.namespace, iop.metadata.name ?? '')),
    );
  }

  /** Reconciles one IstioOperator key, then remembers the status it wrote (see own-writes.ts). */
  private async reconcile(key: string, reconcileID: string): Promise<ReconcileResult> {
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
      reconcileID,
    );
    // The reconciler keeps its copy in step with the status it wrote; remember
    // it until the cache has it (see lookup).
    if (r.result === 'conflict') {
      // Someone else wrote meanwhile: our copy is behind; read the cache again.
      this.written.drop(key);
    } else if (handed && handed.iop.metadata.resourceVersion !== handed.rv) {
      const [ns, name] = key.split('/') as [string, string];
      this.written.remember(key, handed.iop, this.cachedIstioOperator(ns, name));
    }
    return r;
  }
}
