import type * as k8s from '@kubernetes/client-node';
import type { IstioOperator } from '../api/types.js';
import { ignoreStatus } from '../apply/kinds.js';
import { cacheKey } from '../kube/resource.js';

/** How long our own status write is handed out instead of a cache that lacks it. */
const WRITTEN_TTL_MS = 5000;

/**
 * The IstioOperators as the last reconcile that wrote their status left them
 * (status and resourceVersion of that write), per key, until the cache has
 * them. A reconcile reading the cache's older status would write status
 * again, from a stale resourceVersion, and lose with a conflict: reads go
 * through {@link read}, which hands out our copy while the cache's object
 * equals it in everything but status. A change by anyone else (spec,
 * labels, finalizers, deletion) is always read from the cache.
 */
export class OwnStatusWrites {
  private readonly written = new Map<string, { iop: IstioOperator; at: number }>();
  /** True when two IstioOperators differ in more than status and bookkeeping metadata. */
  private readonly differsBesidesStatus = ignoreStatus();

  /** A copy of the cached `cached` to reconcile, or of our newer write of it. */
  read(key: string, cached: IstioOperator): IstioOperator {
    this.forget(cached);
    // Reconcile a copy: the reconciler updates status and resourceVersion as it writes.
    return structuredClone(this.written.get(key)?.iop ?? cached);
  }

  /** Remembers the copy a reconcile wrote status from (then compares it with the cache's, if any). */
  remember(key: string, iop: IstioOperator, cached: IstioOperator | undefined): void {
    this.written.set(key, { iop: structuredClone(iop), at: Date.now() });
    if (cached) this.forget(cached);
  }

  /** Forgets the key's copy (the object is gone, or our copy is behind after a conflict). */
  drop(key: string): void {
    this.written.delete(key);
  }

  /**
   * Drops our written copy of `o` once the cache has it, has moved on in other
   * ways, or after {@link WRITTEN_TTL_MS}: a cache that lags longer is not the
   * usual race, and someone else may have written status since.
   */
  forget(o: k8s.KubernetesObject): void {
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
}
