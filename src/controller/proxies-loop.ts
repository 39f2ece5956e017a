import type { KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { IstioOperator } from '../api/types.js';
import { IGNORE_ANNOTATION } from '../api/vocabulary.js';
import type { KubeClient } from '../kube/client.js';
import { logger } from '../log/logger.js';
import { revLabel } from '../render/names.js';
import { Controller, type Request } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import type { ReconcileResult } from '../runtime/reconcile-frame.js';
import { describeKubeError, isConflict, isNotFound } from '../kube/errors.js';
import { render } from './desired.js';
import type { TrackedEventRecorder } from './events.js';
import type { OperatorMetrics } from './metrics.js';
import { restartStep } from './proxies-restart.js';
import { proxiesStatus, withoutProxies, withProxies } from './proxies-status.js';
import { scanRevisions } from './workloads-scan.js';

/** How often an IstioOperator's proxies are looked at again when nothing wakes it. */
export const DEFAULT_SCAN_MS = 30_000;

/** Why the install loop refuses a spec as it is (status.ts): nothing of it was applied. */
const REFUSED = ['InvalidSpec', 'OwnershipConflict', 'VersionSkew', 'RenderFailed'];

/**
 * Whether the IstioOperator's revision is installed by it, as far as its
 * status says: applied at least once and not refused. One whose objects
 * another IstioOperator owns (an ownership conflict) serves no pod, and
 * reporting on its revision would count the owner's pods twice; its status
 * is left as the install loop wrote it (its status change wakes this loop).
 */
function installed(iop: IstioOperator): boolean {
  const state = iop.status?.status;
  // RECONCILING: the install loop is about to write status again; a write of
  // ours in between would only cost it a conflict. Its next write wakes us.
  if (!state || state === 'NONE' || state === 'RECONCILING') return false;
  const stalled = iop.status?.conditions?.find((c) => c.type === 'Stalled');
  return !(state === 'ERROR' && stalled?.status === 'True' && REFUSED.includes(stalled.reason));
}

/**
 * How long after an IstioOperator event the loop looks: an install or an
 * upgrade changes its status several times in a second, and each look costs
 * three list calls; one look after the burst says the same.
 */
export const EVENT_DELAY_MS = 2_000;

/**
 * First retry delay after a failed look (doubling up to {@link RETRY_MAX_MS}):
 * each look lists every pod, and nothing about it is urgent — ten times the
 * install loop's first delay.
 */
export const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

/** What the proxies loop needs of the operator. */
export interface ProxiesLoopDeps {
  client: KubeClient;
  event: TrackedEventRecorder;
  metrics: Pick<OperatorMetrics, 'staleProxyPods'>;
  /** The IstioOperator as the operator reads it (its own status writes included). */
  get(namespace: string, name: string): IstioOperator | undefined;
  /** Every cached IstioOperator (render needs the others: revision tags, the default revision). */
  all(): readonly IstioOperator[];
  /** Whether this operator reconciles the IstioOperator's revision. */
  owns(iop: IstioOperator): boolean;
  /**
   * Told of each status this loop wrote, as the API server answered it, so
   * that `get` (and the install loop) read it until the cache has it.
   */
  wrote?(iop: IstioOperator): void;
  /** Default {@link DEFAULT_SCAN_MS}. */
  scanMs?: number;
  /** Default {@link EVENT_DELAY_MS}. */
  eventDelayMs?: number;
  workers?: number;
}

/**
 * The second control loop on the runtime (beside the install loop, on the
 * same IstioOperator informers and keys): for each IstioOperator with Pilot
 * it finds the pods its revision's injector serves and those that run
 * another proxy (src/workloads), writes `status.proxies` and the
 * ProxiesCurrent condition when they change, sets the stale-pods gauge, and
 * — only with the restart-workloads annotation — restarts stale workloads a
 * batch at a time (proxies-restart.ts).
 *
 * It lists pods on a timer rather than watching them: a cache of every pod
 * in the cluster would cost the operator far more memory than a scan every
 * {@link DEFAULT_SCAN_MS} costs the API server (three list calls), and a
 * restart in progress looks again every few seconds anyway.
 */
export class ProxiesLoop {
  readonly controller: Controller;
  /** Keys an event woke whose look has not started yet (see isIdle). */
  private readonly woken = new Set<string>();

  constructor(private readonly deps: ProxiesLoopDeps) {
    this.controller = new Controller({
      logField: 'iop',
      reconcile: (key, id) => this.reconcile(key, id),
      accepts: (key) => {
        const [ns, name] = key.split('/') as [string, string];
        const iop = deps.get(ns, name);
        return !iop || deps.owns(iop);
      },
      workers: deps.workers ?? 2,
      queue: { baseDelayMs: RETRY_BASE_MS, maxDelayMs: RETRY_MAX_MS },
    });
  }

  /**
   * Wakes an IstioOperator's key when it appears, and when what the loop
   * reads of it changes: annotations (the opt-in), spec (the revision and
   * version wanted) or the install state (a restart waits for HEALTHY). Its
   * own writes change neither, so they do not wake it.
   */
  watch(informer: Informer<IstioOperator & KubernetesObject>): void {
    const key = (o: IstioOperator): Request[] => {
      if (!this.deps.owns(o)) return [];
      const k = `${o.metadata.namespace}/${o.metadata.name}`;
      this.woken.add(k);
      return [{ after: k, ms: this.deps.eventDelayMs ?? EVENT_DELAY_MS }];
    };
    this.controller.watch(informer, {
      add: key,
      update: (a, b) =>
        a.metadata.generation !== b.metadata.generation ||
        JSON.stringify(a.metadata.annotations ?? {}) !==
          JSON.stringify(b.metadata.annotations ?? {}) ||
        a.status?.status !== b.status?.status ||
        a.status?.observedGeneration !== b.status?.observedGeneration
          ? key(b)
          : [],
      delete: (o) => {
        this.deps.metrics.staleProxyPods.remove({
          namespace: o.metadata.namespace ?? '',
          name: o.metadata.name ?? '',
        });
        return [];
      },
    });
  }

  /**
   * True when nothing is queued, being reconciled or woken by an event and
   * waiting out {@link EVENT_DELAY_MS}; the periodic looks do not count (the
   * loop is never idle otherwise).
   */
  isIdle(): boolean {
    return (
      this.woken.size === 0 &&
      this.controller.queue.len() === 0 &&
      this.controller.queue.inFlight() === 0
    );
  }

  private async reconcile(key: string, reconcileID: string): Promise<ReconcileResult> {
    this.woken.delete(key);
    const [namespace, name] = key.split('/') as [string, string];
    const iop = this.deps.get(namespace, name);
    if (
      !iop ||
      iop.metadata.deletionTimestamp ||
      iop.metadata.annotations?.[IGNORE_ANNOTATION] === 'true' ||
      !this.deps.owns(iop)
    ) {
      return { result: 'done' };
    }
    if (!installed(iop)) return { result: 'done' };
    const log = logger.child({ iop: key, reconcileID, loop: 'proxies' });
    try {
      let plan;
      try {
        plan = render(iop, this.deps.all()).plan;
      } catch {
        // The install loop reports a spec that does not render.
        return { result: 'done' };
      }
      if (!plan.pilot) {
        await this.write(iop, withoutProxies);
        return { result: 'done' };
      }
      const revision = revLabel(plan.revision);
      const [report] = await scanRevisions(this.deps.client, new Map([[revision, plan.version]]));
      const restart = await restartStep(
        iop,
        report!,
        { client: this.deps.client, event: this.deps.event, now: () => Date.now() },
        log,
      );
      const proxies = proxiesStatus(report!, restart.status);
      const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await this.write(iop, (base) => withProxies(base, proxies, iop.metadata.generation ?? 0, at));
      this.deps.metrics.staleProxyPods.set({ namespace, name }, report!.stalePods);
      return {
        result: 'requeueAfter',
        ms: restart.requeueAfterMs ?? this.deps.scanMs ?? DEFAULT_SCAN_MS,
      };
    } catch (err) {
      if (isConflict(err)) {
        // Retried soon: not idle until then.
        this.woken.add(key);
        return { result: 'conflict' };
      }
      if (isNotFound(err)) return { result: 'done' };
      return { result: 'error', error: describeKubeError(err) };
    }
  }

  /**
   * Writes `status` when it is not the one the IstioOperator has. A 409 (the
   * install loop wrote meanwhile, or the cache lagged) is answered with one
   * GET and one more write on the fresh copy, not with another look: the
   * look lists every pod, the GET one object. Only when the fresh copy is
   * another generation or no longer installed is nothing written — the
   * change that made it so wakes the loop.
   */
  private async write(
    iop: IstioOperator,
    status: (base: IstioOperator['status']) => IstioOperator['status'],
  ): Promise<void> {
    let next = status(iop.status);
    if (next === iop.status || isDeepStrictEqual(next, iop.status ?? {})) return;
    logger.debug('proxies status changed', {
      iop: `${iop.metadata.namespace}/${iop.metadata.name}`,
      before: iop.status?.proxies ?? null,
      after: next?.proxies ?? null,
    });
    let written: IstioOperator;
    try {
      written = await this.replace(iop, next);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const fresh = await this.deps.client.get<IstioOperator & KubernetesObject>({
        apiVersion: iop.apiVersion,
        kind: iop.kind,
        metadata: { name: iop.metadata.name ?? '', namespace: iop.metadata.namespace ?? '' },
      });
      if (
        fresh.metadata.generation !== iop.metadata.generation ||
        !installed(fresh) ||
        fresh.metadata.deletionTimestamp
      ) {
        return;
      }
      next = status(fresh.status);
      if (isDeepStrictEqual(next, fresh.status ?? {})) return;
      written = await this.replace(fresh, next);
    }
    this.deps.wrote?.(written);
  }

  private async replace(
    iop: IstioOperator,
    status: IstioOperator['status'],
  ): Promise<IstioOperator> {
    return await this.deps.client.replaceStatus<IstioOperator & KubernetesObject>({
      ...iop,
      status,
    } as IstioOperator & KubernetesObject);
  }
}
