import type { KubernetesObject } from '@kubernetes/client-node';
import { describeKubeError, isConflict, isNotFound } from '../kube/errors.js';
import { logger } from '../log/logger.js';

/** What the work loop does with the key after a reconcile. */
export type ReconcileResult =
  | { result: 'done' }
  /** Not converged yet (rolling out): look again after a while. */
  | { result: 'requeueAfter'; ms: number }
  /** Terminal until the spec changes (invalid spec). */
  | { result: 'terminal' }
  /** Failed: back off and retry. */
  | { result: 'error'; error: string }
  /** Lost an optimistic-concurrency race: retry soon, quietly. */
  | { result: 'conflict' };

/** The logger a reconcile writes with (tagged with the object and the reconcile's id). */
export type ReconcileLog = ReturnType<typeof logger.child>;

/** What a resource's reconcile does inside the frame. */
export interface ReconcileSteps<T extends KubernetesObject> {
  /** The finalizer that guards the uninstall. */
  finalizer: string;
  /** The log field that names the key on the reconcile's lines (`iop`). Default `key`. */
  logField?: string;
  /** The object from the cache, or undefined once it is gone (or not this operator's). */
  get(namespace: string, name: string): T | undefined;
  /** The user asked the operator to leave it alone; `ignored` reports so. */
  isIgnored(obj: T): boolean;
  ignored(obj: T): Promise<void>;
  /** Adds the finalizer (the update event brings the object back). */
  addFinalizer(obj: T): Promise<void>;
  /** The object is being deleted: undo what was installed, then release the finalizer. */
  finalize(obj: T, log: ReconcileLog): Promise<ReconcileResult>;
  /** Makes the cluster match the object. */
  reconcile(obj: T, log: ReconcileLog): Promise<ReconcileResult>;
}

/**
 * The frame every reconcile runs in, apart from what it does to the object
 * (controller-runtime's Reconciler with its finalizer helper): fetch from
 * the cache; a deleted object goes to `finalize`, an ignored one only
 * reports so; the finalizer is added before anything is installed; and the
 * API server's errors become results — a 409 is a lost race (retried soon,
 * quietly), a NotFound for an object gone meanwhile is done, anything else
 * is retried with backoff.
 */
export async function reconcileFrame<T extends KubernetesObject>(
  key: string,
  steps: ReconcileSteps<T>,
  reconcileID: string,
): Promise<ReconcileResult> {
  const [namespace, name] = key.split('/') as [string, string];
  const obj = steps.get(namespace, name);
  if (!obj) return { result: 'done' };
  const log = logger.child({ [steps.logField ?? 'key']: key, reconcileID });
  try {
    if (obj.metadata?.deletionTimestamp) return await steps.finalize(obj, log);
    if (steps.isIgnored(obj)) {
      await steps.ignored(obj);
      return { result: 'done' };
    }
    if (!(obj.metadata?.finalizers ?? []).includes(steps.finalizer)) {
      await steps.addFinalizer(obj);
      return { result: 'done' };
    }
    return await steps.reconcile(obj, log);
  } catch (err) {
    if (isConflict(err)) return { result: 'conflict' };
    if (isNotFound(err) && !steps.get(namespace, name)) return { result: 'done' };
    return { result: 'error', error: describeKubeError(err) };
  }
}
