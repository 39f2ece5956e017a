import type { JsonObject } from '../json/value.js';
import type { K8sObject } from './object.js';

/**
 * NetworkPolicies Istio's charts render from 1.28 (istiod, gateways) and
 * 1.29 (CNI, ztunnel) when `values.global.networkPolicy.enabled`: each
 * component's pods accept traffic on the ports they serve and may send
 * anywhere. (Before 1.30 the charts write each ingress rule with an empty
 * `from`, which the API server stores as absent: the same policy.)
 */
export interface NetworkPolicyInput {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  podSelector: Record<string, string>;
  /** One ingress rule per entry: the ports it admits, `[port, protocol]` (TCP unless said). */
  rules: [number | string, string?][][];
}

/** One networking.k8s.io/v1 NetworkPolicy. */
export function renderNetworkPolicy(p: NetworkPolicyInput): K8sObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      podSelector: { matchLabels: p.podSelector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: p.rules.map((ports): JsonObject => ({
        ports: ports.map(([port, protocol]) => ({ protocol: protocol ?? 'TCP', port })),
      })),
      egress: [{}],
    },
  };
}

/** `name`, or `name-<revision>` for a revisioned control plane. */
export function policyName(name: string, revision: string): string {
  return revision ? `${name}-${revision}` : name;
}
