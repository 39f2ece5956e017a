import type { KubernetesObject } from '@kubernetes/client-node';
import { describeObject, type LiveState } from './live.js';

/** Readiness of one component's workloads and CRDs. */
export interface Readiness {
  ready: boolean;
  /** What is still rolling out, e.g. `Deployment istio-system/istiod: 1/2 available`. */
  waitingFor: string[];
}

/** The Deployment and DaemonSet status fields readiness is judged from. */
export interface WorkloadStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
  desiredNumberScheduled?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
}

/**
 * A Deployment is ready when the controller has seen its latest spec and all
 * of its replicas are updated and available; a DaemonSet when every
 * scheduled pod is updated and available. Other kinds are ready once applied.
 */
export function workloadReady(o: KubernetesObject): { ready: boolean; detail: string } {
  const gen = o.metadata?.generation ?? 0;
  const s = ((o as { status?: WorkloadStatus }).status ?? {}) as WorkloadStatus;
  if ((s.observedGeneration ?? 0) < gen)
    return { ready: false, detail: 'rollout not observed yet' };
  if (o.kind === 'Deployment') {
    const want = (o as { spec?: { replicas?: number } }).spec?.replicas ?? 1;
    const updated = s.updatedReplicas ?? 0;
    const available = s.availableReplicas ?? 0;
    const total = s.replicas ?? 0;
    const ready = updated >= want && available >= want && total <= want;
    return { ready, detail: `${available}/${want} available, ${updated} updated` };
  }
  if (o.kind === 'DaemonSet') {
    const want = s.desiredNumberScheduled ?? 0;
    const ready = (s.updatedNumberScheduled ?? 0) >= want && (s.numberAvailable ?? 0) >= want;
    return { ready, detail: `${s.numberAvailable ?? 0}/${want} available` };
  }
  return { ready: true, detail: '' };
}

/** Whether a CRD's condition `type` (Established, NamesAccepted) is True. */
export function crdCondition(crd: KubernetesObject | undefined, type: string): boolean {
  const conditions = (crd as { status?: { conditions?: { type?: string; status?: string }[] } })
    ?.status?.conditions;
  return !!conditions?.some((c) => c.type === type && c.status === 'True');
}

/** How many CRD names a waiting message lists before it only counts. */
const CRDS_NAMED = 3;

/**
 * Readiness of the objects among `desired`, judged from their live state:
 * workloads rolled out, and CRDs Established (the applier no longer waits
 * for that before applying what needs none of their kinds, so the wait
 * shows here). A CRD absent from `live` is not waited for: CRDs another
 * installer wrote and that were left as they are (crd-guard.ts) are not in
 * the caches.
 */
export function componentReadiness(
  desired: readonly KubernetesObject[],
  live: LiveState,
): Readiness {
  const waitingFor: string[] = [];
  const crds: string[] = [];
  for (const d of desired) {
    if (d.kind === 'CustomResourceDefinition') {
      const l = live.get(d.apiVersion!, d.kind, undefined, d.metadata!.name!);
      if (l && !crdCondition(l, 'Established')) crds.push(d.metadata!.name!);
      continue;
    }
    if (d.kind !== 'Deployment' && d.kind !== 'DaemonSet') continue;
    const l = live.get(d.apiVersion!, d.kind, d.metadata?.namespace, d.metadata!.name!);
    if (!l) {
      waitingFor.push(`${describeObject(d)}: not created yet`);
      continue;
    }
    const r = workloadReady(l);
    if (!r.ready) waitingFor.push(`${describeObject(d)}: ${r.detail}`);
  }
  if (crds.length > 0) {
    const named = crds.slice(0, CRDS_NAMED).join(', ');
    const more = crds.length > CRDS_NAMED ? ` and ${crds.length - CRDS_NAMED} more` : '';
    waitingFor.unshift(
      `${crds.length === 1 ? 'CRD' : `${crds.length} CRDs`} to become Established: ${named}${more}`,
    );
  }
  return { ready: waitingFor.length === 0, waitingFor };
}
