/**
 * Object names that depend on the revision and the install namespace
 * (Istio's revision naming: istiod objects get `-<rev>`, cluster-scoped
 * ones also carry the namespace so two installs do not collide).
 */

/** `-<rev>` for a revision, '' for the default revision. */
function suffix(revision: string): string {
  return revision ? `-${revision}` : '';
}

/** Value of the `istio.io/rev` label: the revision, or `default`. */
export function revLabel(revision: string): string {
  return revision || 'default';
}

/** Deployment, Service, ServiceAccount, Role, HPA and PDB of istiod: `istiod[-<rev>]`. */
export function istiodName(revision: string): string {
  return `istiod${suffix(revision)}`;
}

/** Mesh config ConfigMap: `istio[-<rev>]`. */
export function meshConfigMapName(revision: string): string {
  return `istio${suffix(revision)}`;
}

/** Injector ConfigMap: `istio-sidecar-injector[-<rev>]`. */
export function injectorConfigMapName(revision: string): string {
  return `istio-sidecar-injector${suffix(revision)}`;
}

/** Injector webhook configuration; `-<ns>` is appended outside istio-system. */
export function mutatingWebhookName(revision: string, namespace: string): string {
  const ns = namespace === 'istio-system' ? '' : `-${namespace}`;
  return `istio-sidecar-injector${suffix(revision)}${ns}`;
}

/** Validation webhook configuration: `istio-validator[-<rev>]-<ns>`. */
export function validatingWebhookName(revision: string, namespace: string): string {
  return `istio-validator${suffix(revision)}-${namespace}`;
}

/** A cluster-scoped RBAC name of istiod: `<base>[-<rev>]-<ns>`. */
export function clusterRbacName(base: string, revision: string, namespace: string): string {
  return `${base}${suffix(revision)}-${namespace}`;
}
