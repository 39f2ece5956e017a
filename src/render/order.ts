import type { K8sObject } from './object.js';

/**
 * Priority of each kind in the output: namespaces, CRDs, cluster RBAC, then
 * namespaced identities and config, workloads, autoscaling and disruption
 * budgets, Services; the injector webhook comes last, once the Service it
 * calls exists (its failurePolicy is Fail). The validating webhook starts
 * with Ignore, so it may come early. Kinds not listed sort with the
 * workloads.
 */
const KIND_PRIORITY: Record<string, number> = {
  Namespace: -2000,
  CustomResourceDefinition: -1000,
  ClusterRole: 1,
  ClusterRoleBinding: 2,
  ServiceAccount: 3,
  Role: 4,
  RoleBinding: 5,
  ValidatingWebhookConfiguration: 6,
  ValidatingAdmissionPolicy: 7,
  ValidatingAdmissionPolicyBinding: 8,
  ResourceQuota: 50,
  ConfigMap: 100,
  Secret: 100,
  NetworkAttachmentDefinition: 200,
  Deployment: 1000,
  DaemonSet: 1000,
  HorizontalPodAutoscaler: 1001,
  PodDisruptionBudget: 1002,
  NetworkPolicy: 1003,
  Service: 10000,
  Endpoints: 10000,
  EndpointSlice: 10000,
  MutatingWebhookConfiguration: 10001,
};

/** Sort priority of a kind (lower first). */
export function kindPriority(kind: string): number {
  return KIND_PRIORITY[kind] ?? 1000;
}

/**
 * Sorts objects into the stable output order: kind priority, then kind,
 * then namespace, then name. Returns a new array.
 */
export function sortObjects(objects: readonly K8sObject[]): K8sObject[] {
  return [...objects].sort(
    (a, b) =>
      kindPriority(a.kind) - kindPriority(b.kind) ||
      cmp(a.kind, b.kind) ||
      cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
      cmp(a.metadata.name, b.metadata.name),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
