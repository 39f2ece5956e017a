import type { KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '../kube/client.js';
import { apiGroupOf } from '../kube/resource.js';
import { LABELS } from '../api/vocabulary.js';

/** Read access to what the cluster holds, as seen by the operator's caches. */
export interface LiveState {
  /** The live object, if it exists (and carries the managed label, for cached kinds). */
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): KubernetesObject | undefined;
  /** Every live object, of every watched kind, whose owner labels name this IstioOperator. */
  ownedBy(owner: Owner): KubernetesObject[];
  /**
   * Whether the IstioOperator named by an object's owner labels still exists.
   * Objects whose owner is gone (CRDs kept after an uninstall) may be adopted;
   * when unsure, answer true.
   */
  ownerExists(owner: Owner): Promise<boolean>;
}

/** The IstioOperator that owns objects, as written in the owner labels. */
export interface Owner {
  name: string;
  namespace: string;
}

/** The owner an object's labels name, if any. */
export function ownerOf(o: KubernetesObject): Owner | undefined {
  const l = o.metadata?.labels ?? {};
  const name = l[LABELS.owner];
  if (!name) return undefined;
  return { name, namespace: l[LABELS.ownerNamespace] ?? '' };
}

/** `apiVersion kind namespace/name`: how objects are named in messages and matched across sources. */
export function describeObject(o: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind} ${ns}${o.metadata?.name ?? ''}`;
}

/** Identity of an object for set membership: apiVersion's group, kind, namespace and name. */
export function identity(o: KubernetesObject): string {
  return `${apiGroupOf(o.apiVersion ?? '')}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name ?? ''}`;
}

/**
 * Whether the operator itself wrote this object (it holds fields under our
 * server-side-apply field manager). Owner labels alone do not prove it:
 * Kubernetes copies a Service's labels onto the Endpoints it creates, so
 * those carry our owner labels without being ours, and must never be pruned.
 */
export function writtenByOperator(o: KubernetesObject): boolean {
  return (o.metadata?.managedFields ?? []).some((f) => f.manager === FIELD_MANAGER);
}

/**
 * `o` (changed in place) with its managedFields reduced to who manages it
 * and how, without the field sets: all the operator reads of them is
 * {@link writtenByOperator}. For the caches of owned objects, where the
 * field sets (a copy of every applied field, for each manager) were about a
 * third of a cached Deployment; the same as controller-runtime's
 * TransformStripManagedFields, except that the managers stay.
 */
export function withoutFieldSets<T extends KubernetesObject>(o: T): T {
  const fields = o.metadata?.managedFields;
  if (o.metadata && fields) {
    o.metadata.managedFields = fields.map((f) => ({
      manager: f.manager,
      operation: f.operation,
    }));
  }
  return o;
}
