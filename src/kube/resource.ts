import { IOP_RESOURCE } from '../api/vocabulary.js';
/**
 * A Kubernetes resource type, identified the way API paths need it. Kept as
 * plain data so the watch table can list every kind the renderer emits
 * without asking discovery at start-up.
 */
export interface ResourceType {
  /** `v1`, `apps/v1`, `install.istio.io/v1alpha1`, … */
  apiVersion: string;
  kind: string;
  /** Lower-case plural used in URLs: `deployments`. */
  plural: string;
  namespaced: boolean;
}

/**
 * The collection URL of a resource type, optionally in one namespace:
 * `/api/v1/namespaces/ns/configmaps`, `/apis/apps/v1/deployments`.
 */
/** The API group of an `apiVersion` (`apps/v1` → `apps`; the core `v1` → the empty group). */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

export function collectionPath(rt: ResourceType, namespace?: string): string {
  const base = rt.apiVersion.includes('/') ? `/apis/${rt.apiVersion}` : `/api/${rt.apiVersion}`;
  const ns = rt.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${rt.plural}`;
}

/** `namespace/name` (or `name` for cluster-scoped objects): the key objects are cached and queued by. */
export function cacheKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

const t = (
  apiVersion: string,
  kind: string,
  plural: string,
  namespaced: boolean,
): ResourceType => ({
  apiVersion,
  kind,
  plural,
  namespaced,
});

/**
 * Every resource type the operator reads or writes, with its URL plural, so
 * requests need no discovery round trip. The managed kinds (apply/kinds.ts)
 * are a subset.
 */
export const KNOWN_TYPES: readonly ResourceType[] = [
  t(IOP_RESOURCE.apiVersion, IOP_RESOURCE.kind, IOP_RESOURCE.plural, true),
  t('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  t('v1', 'Namespace', 'namespaces', false),
  t('v1', 'ServiceAccount', 'serviceaccounts', true),
  t('v1', 'ConfigMap', 'configmaps', true),
  t('v1', 'Secret', 'secrets', true),
  t('v1', 'Service', 'services', true),
  t('v1', 'Endpoints', 'endpoints', true),
  t('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', true),
  t('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true),
  t('v1', 'Pod', 'pods', true),
  t('v1', 'Event', 'events', true),
  t('v1', 'ResourceQuota', 'resourcequotas', true),
  t('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  t('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  t('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  t('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  t('apps/v1', 'Deployment', 'deployments', true),
  t('apps/v1', 'DaemonSet', 'daemonsets', true),
  t('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true),
  t('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true),
  t(
    'admissionregistration.k8s.io/v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
  ),
  t(
    'admissionregistration.k8s.io/v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
  ),
  t(
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicy',
    'validatingadmissionpolicies',
    false,
  ),
  t(
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    false,
  ),
  t('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition', 'network-attachment-definitions', true),
  t('coordination.k8s.io/v1', 'Lease', 'leases', true),
  t('networking.istio.io/v1', 'VirtualService', 'virtualservices', true),
];

/** The known resource type of an apiVersion and kind. */
export function resourceTypeOf(apiVersion: string, kind: string): ResourceType | undefined {
  return KNOWN_TYPES.find((r) => r.apiVersion === apiVersion && r.kind === kind);
}
