import { getBool, getObject, getPath } from '../../json/values.js';
import type { Json, JsonObject } from '../../json/value.js';
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';

/** An autoscaling/v2 HorizontalPodAutoscaler's settings, resolved from a workload's chart values. */
export interface HpaSettings {
  /** `autoscaleMin` / `autoscaleMax`. */
  minReplicas: Json;
  maxReplicas: Json;
  /** `cpu.targetAverageUtilization` / `memory.targetAverageUtilization`; undefined (or 0): no metric. */
  cpuUtilization?: Json;
  memoryUtilization?: Json;
  /** `autoscaleBehavior` ({}: none). */
  behavior: JsonObject;
}

/** How istiod or a gateway scales: its HPA, its PodDisruptionBudget. */
export interface ScalingSettings {
  /** Rendered when `autoscaleEnabled`, `autoscaleMin` and `autoscaleMax` are all set (Helm truthiness). */
  hpa?: HpaSettings;
  /**
   * Whether the workload gets its PodDisruptionBudget: when
   * `global.defaultPodDisruptionBudget.enabled`, and from 1.28 on only when
   * more than one replica can run (autoscaling with a minimum above one, or
   * a fixed replica count above one), since a budget of one available pod
   * over a single replica blocks every node drain.
   */
  pdb: boolean;
}

const metric = (v: Json | undefined) => (v === undefined || v === null || v === 0 ? undefined : v);

/** Resolves the scaling of a workload whose chart values are `vals`. */
export function scalingSettings(
  vals: JsonObject,
  values: JsonObject,
  release: IstioRelease,
): ScalingSettings {
  const autoscale = getBool(vals, 'autoscaleEnabled');
  const cpu = metric(getPath(vals, 'cpu.targetAverageUtilization'));
  const memory = metric(getPath(vals, 'memory.targetAverageUtilization'));
  const count = (k: string) => Math.trunc(Number(getPath(vals, k) ?? 0)) || 0;
  return {
    ...(autoscale && getBool(vals, 'autoscaleMin') && getBool(vals, 'autoscaleMax')
      ? {
          hpa: {
            minReplicas: getPath(vals, 'autoscaleMin') ?? 1,
            maxReplicas: getPath(vals, 'autoscaleMax') ?? 5,
            ...(cpu !== undefined ? { cpuUtilization: cpu } : {}),
            ...(memory !== undefined ? { memoryUtilization: memory } : {}),
            behavior: getObject(vals, 'autoscaleBehavior'),
          },
        }
      : {}),
    pdb:
      getBool(values, 'global.defaultPodDisruptionBudget.enabled') &&
      (!has(release, 'pdbOnlyWithReplicas') ||
        (autoscale ? count('autoscaleMin') > 1 : count('replicaCount') > 1)),
  };
}
