import type { JsonObject } from '../json/value.js';
import type { HpaSettings } from '../translate/components/scaling.js';
import type { K8sObject } from './object.js';

// The HPA and PDB istiod and the gateways share (their charts write the
// same two objects): one module both renderers import, so neither imports
// the other.

/** CPU (and optional memory) utilization metrics for an HPA. */
function hpaMetrics(hpa: HpaSettings): JsonObject[] {
  const metrics: JsonObject[] = [];
  for (const [name, utilization] of [
    ['cpu', hpa.cpuUtilization],
    ['memory', hpa.memoryUtilization],
  ] as const) {
    if (utilization === undefined) continue;
    metrics.push({
      type: 'Resource',
      resource: { name, target: { type: 'Utilization', averageUtilization: utilization } },
    });
  }
  return metrics;
}

/** An autoscaling/v2 HPA for a Deployment. */
export function renderHpa(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  hpa: HpaSettings,
): K8sObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels },
    spec: {
      maxReplicas: hpa.maxReplicas,
      minReplicas: hpa.minReplicas,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      metrics: hpaMetrics(hpa),
      ...(Object.keys(hpa.behavior).length ? { behavior: hpa.behavior } : {}),
    },
  };
}

/** A policy/v1 PDB keeping one pod of the selected workload available. */
export function renderPdb(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels },
    spec: { minAvailable: 1, selector: { matchLabels: selector } },
  };
}
