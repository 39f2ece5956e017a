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
  /** Default {@link DEFAULT_SCAN_MS}. */
  scanMs?: number;
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
    });
  }

  /**
   * Wakes an IstioOperator's key when it appears, and when what the loop
   * reads of it changes: annotations (the opt-in), spec (the revision and
   * version wanted) or the install state (a restart waits for HEALTHY). Its
   * own writes change neither, so they do not wake it.
   */
  watch(informer: Informer<IstioOperator & KubernetesObject>): void {
    const key = (o: IstioOperator): Request[] =>
      this.deps.owns(o) ? [`${o.metadata.namespace}/${o.metadata.name}`] : [];
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

  /** True when nothing is queued now or being reconciled (timers for later do not count). */
  isIdle(): boolean {
    return this.controller.queue.len() === 0 && this.controller.queue.inFlight() === 0;
  }

  private async reconcile(key: string, reconcileID: string): Promise<ReconcileResult> {
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
        await this.write(iop, withoutProxies(iop.status));
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
      const next = withProxies(
        iop.status,
        proxiesStatus(report!, restart.status),
        iop.metadata.generation ?? 0,
        new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      );
      await this.write(iop, next);
      this.deps.metrics.staleProxyPods.set({ namespace, name }, report!.stalePods);
      return {
        result: 'requeueAfter',
        ms: restart.requeueAfterMs ?? this.deps.scanMs ?? DEFAULT_SCAN_MS,
      };
    } catch (err) {
      if (isConflict(err)) return { result: 'conflict' };
      if (isNotFound(err)) return { result: 'done' };
      return { result: 'error', error: describeKubeError(err) };
    }
  }

  /** Writes `status` when it is not the one the IstioOperator has (a 409 retries on a fresh copy). */
  private async write(iop: IstioOperator, status: IstioOperator['status']): Promise<void> {
    if (status === iop.status || isDeepStrictEqual(status, iop.status ?? {})) return;
    await this.deps.client.replaceStatus({ ...iop, status } as unknown as KubernetesObject);
  }
}
