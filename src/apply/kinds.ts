import type { KubernetesObject } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { resourceTypeOf, type ResourceType } from '../kube/resource.js';
import { crdCondition, type WorkloadStatus } from './readiness.js';

/** Decides whether an update of a watched object is worth a reconcile. */
export type UpdateFilter = (oldObj: KubernetesObject, newObj: KubernetesObject) => boolean;

/** One kind the operator renders, applies, watches and may prune. */
export interface WatchedKind extends ResourceType {
  /** Whether a change passes to the work queue. */
  filter: UpdateFilter;
  /**
   * Fields that the operator sets when it creates the object but never
   * reverts afterwards, because another controller owns them (istiod patches
   * webhook caBundle and flips the validator's failurePolicy). JSON paths
   * under the object, `*` for every list element.
   */
  createOnly?: string[][];
  /** Never deleted by prune (CRDs hold users' data). */
  neverPrune?: boolean;
  /**
   * For a kind the cluster may not serve (an optional CRD): what provides it
   * and how to do without it, for the component error when it is missing.
   */
  whenMissing?: string;
}

type Obj = Record<string, unknown>;

/** A copy of `o` without the parts that change on their own: status and bookkeeping metadata. */
function comparable(o: KubernetesObject, dropPaths: string[][] = []): unknown {
  const copy = structuredClone(o) as Obj;
  delete copy.status;
  const meta = (copy.metadata ?? {}) as Obj;
  for (const f of ['resourceVersion', 'managedFields', 'generation']) delete meta[f];
  for (const p of dropPaths) dropPath(copy, p);
  return copy;
}

/** Deletes the field at `path` (with `*` matching every list element) from `o`. */
function dropPath(o: unknown, path: string[]): void {
  if (path.length === 0 || o === null || typeof o !== 'object') return;
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*') {
    if (Array.isArray(o)) for (const el of o) dropPath(el, rest);
    return;
  }
  const rec = o as Obj;
  if (rest.length === 0) delete rec[head];
  else dropPath(rec[head], rest);
}

/** Ignores changes to status and bookkeeping metadata (and the given paths). */
export function ignoreStatus(dropPaths: string[][] = []): UpdateFilter {
  return (a, b) => !isDeepStrictEqual(comparable(a, dropPaths), comparable(b, dropPaths));
}

/** The status fields readiness is computed from. */
function readinessDigest(o: KubernetesObject): unknown {
  const s = ((o as Obj).status ?? {}) as WorkloadStatus;
  return [
    s.observedGeneration,
    s.replicas,
    s.updatedReplicas,
    s.availableReplicas,
    s.desiredNumberScheduled,
    s.updatedNumberScheduled,
    s.numberAvailable,
  ];
}

/**
 * Workloads: spec changes, and the status changes that move a component
 * between UPDATING and HEALTHY; the heartbeat-like rest of status is ignored.
 */
const workloadFilter: UpdateFilter = (a, b) =>
  ignoreStatus()(a, b) || !isDeepStrictEqual(readinessDigest(a), readinessDigest(b));

/**
 * CRDs: spec changes, and the Established condition coming or going: an
 * IstioOperator's readiness waits for its CRDs to be Established (the
 * applier does not), and this event is what wakes it.
 */
const crdFilter: UpdateFilter = (a, b) =>
  ignoreStatus()(a, b) || crdCondition(a, 'Established') !== crdCondition(b, 'Established');

const WEBHOOK_OWNED_BY_ISTIOD = [
  ['webhooks', '*', 'clientConfig', 'caBundle'],
  ['webhooks', '*', 'failurePolicy'],
];

const kind = (apiVersion: string, k: string, extra: Partial<WatchedKind> = {}): WatchedKind => {
  const rt = resourceTypeOf(apiVersion, k);
  if (!rt) throw new Error(`${apiVersion} ${k} is missing from KNOWN_TYPES`);
  return { ...rt, filter: ignoreStatus(), ...extra };
};

/**
 * Every kind the renderer can emit, with its update filter: the one table
 * informers, prune and RBAC are derived from. A unit test renders every
 * profile and fails if an emitted kind is missing here.
 */
export const WATCHED_KINDS: readonly WatchedKind[] = [
  kind('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
    neverPrune: true,
    filter: crdFilter,
  }),
  // Token controllers add `secrets` to ServiceAccounts; that churn is not ours.
  kind('v1', 'ServiceAccount', { filter: ignoreStatus([['secrets']]) }),
  kind('v1', 'ConfigMap'),
  kind('v1', 'Service'),
  // The remote profile points istiod's Service at an external address
  // (an Endpoints object before Istio 1.28, an EndpointSlice from 1.28 on).
  kind('v1', 'Endpoints'),
  kind('discovery.k8s.io/v1', 'EndpointSlice'),
  // values.global.networkPolicy.enabled (Istio 1.28+).
  kind('networking.k8s.io/v1', 'NetworkPolicy'),
  kind('v1', 'ResourceQuota'),
  kind('rbac.authorization.k8s.io/v1', 'ClusterRole'),
  kind('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'),
  kind('rbac.authorization.k8s.io/v1', 'Role'),
  kind('rbac.authorization.k8s.io/v1', 'RoleBinding'),
  kind('apps/v1', 'Deployment', { filter: workloadFilter }),
  kind('apps/v1', 'DaemonSet', { filter: workloadFilter }),
  kind('autoscaling/v2', 'HorizontalPodAutoscaler'),
  kind('policy/v1', 'PodDisruptionBudget'),
  kind('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', {
    filter: ignoreStatus(WEBHOOK_OWNED_BY_ISTIOD),
    createOnly: WEBHOOK_OWNED_BY_ISTIOD,
  }),
  kind('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', {
    filter: ignoreStatus(WEBHOOK_OWNED_BY_ISTIOD),
    createOnly: WEBHOOK_OWNED_BY_ISTIOD,
  }),
  kind('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'),
  kind('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicyBinding'),
  // Only rendered for OpenShift (Multus); its CRD may be absent elsewhere.
  kind('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition', {
    whenMissing:
      'it comes with Multus: install Multus, or set values.cni.provider to "default" ' +
      '(the openshift profiles set "multus") so that it is not rendered',
  }),
];

/** The table entry for an object's apiVersion and kind, if the operator manages that kind. */
export function watchedKind(apiVersion: string, k: string): WatchedKind | undefined {
  return WATCHED_KINDS.find((w) => w.apiVersion === apiVersion && w.kind === k);
}
