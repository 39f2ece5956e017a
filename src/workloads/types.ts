/**
 * The few fields of the cluster's objects that decide which proxy a pod
 * should carry: plain data, so the decision is pure and unit-tested without
 * a cluster (the controller copies them out of its informer caches).
 */

/** An owner reference of a pod: kind and name are all the grouping needs. */
export interface OwnerRef {
  kind: string;
  name: string;
  controller?: boolean;
}

/** A container of a pod: its name and image. */
export interface ContainerView {
  name: string;
  image?: string;
}

/** A pod as the workload view reads it. */
export interface PodView {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: OwnerRef[];
  containers: ContainerView[];
  /** Native sidecars run `istio-proxy` among the init containers. */
  initContainers: ContainerView[];
  /** `status.phase`: a Succeeded or Failed pod runs no proxy any more and is left out. */
  phase?: string;
}

/** A namespace: its name and labels (the injector's namespaceSelector reads the labels). */
export interface NamespaceView {
  name: string;
  labels: Record<string, string>;
}

/**
 * The injectors of the cluster, as their MutatingWebhookConfigurations say:
 * the revisions that have one (`istio.io/rev` label, `default` for the
 * revision-less install) and each revision tag (`istio.io/tag`) with the
 * revision it points to.
 */
export interface InjectorView {
  revisions: ReadonlySet<string>;
  tags: ReadonlyMap<string, string>;
}

/** The kinds a pod is grouped under: its controller's, or `Pod` for a bare pod. */
export type WorkloadKind =
  'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'Pod' | string;

/** A workload: the object a restart would act on (a bare pod stands for itself). */
export interface WorkloadRef {
  namespace: string;
  kind: WorkloadKind;
  name: string;
}
