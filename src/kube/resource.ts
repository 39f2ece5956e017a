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
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const base = rt.apiVersion.includes('/') ? `/apis/${rt.apiVersion}` : `/api/${rt.apiVersion}`;
  const ns = rt.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${rt.plural}`;
}

/** `namespace/name` (or `name` for cluster-scoped objects): the key objects are cached and queued by. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
