import type { RenderPlan } from '../translate/plan.js';
import type { Json, JsonObject } from '../json/value.js';

/** `{ imagePullSecrets }` to spread into a pod or ServiceAccount, or nothing when there are none. */
export function pullSecretsField(plan: RenderPlan): { imagePullSecrets?: Json } {
  return plan.pullSecrets.length
    ? { imagePullSecrets: plan.pullSecrets.map((name) => ({ name })) }
    : {};
}

/** An env var with a literal value. */
export function envValue(name: string, value: string): JsonObject {
  return { name, value };
}

/**
 * An env var taken from a pod field. `apiVersion` defaults to `v1` in the
 * API server; some Istio workloads spell it out and some do not, so callers
 * choose (`versioned: false` leaves it out).
 */
export function envField(name: string, fieldPath: string, versioned = true): JsonObject {
  return {
    name,
    valueFrom: { fieldRef: versioned ? { apiVersion: 'v1', fieldPath } : { fieldPath } },
  };
}

/** An env var taken from the container's resources. */
export function envResource(name: string, resource: string, divisor?: string): JsonObject {
  return {
    name,
    valueFrom: { resourceFieldRef: { resource, ...(divisor ? { divisor } : {}) } },
  };
}

/** A one-rule RBAC PolicyRule. */
export function rule(apiGroups: string[], resources: string[], verbs: string[]): JsonObject {
  return { apiGroups, resources, verbs };
}

/** OpenShift only admits the privileged node agents (CNI, ztunnel) through this SCC. */
export const PRIVILEGED_SCC: JsonObject = {
  apiGroups: ['security.openshift.io'],
  resources: ['securitycontextconstraints'],
  resourceNames: ['privileged'],
  verbs: ['use'],
};
