import type { KubernetesResourcesSpec } from '../api/types.js';
import { type K8sObject } from './object.js';
import { strategicMerge } from './strategic-merge.js';
import { isJsonObject, toJson, type Json, type JsonObject } from '../json/value.js';

/** Which objects a component's k8s settings patch. */
export interface K8sTarget {
  /** `Deployment` or `DaemonSet`. */
  workloadKind: string;
  /** Name shared by the workload, its Service, HPA and PDB. */
  name: string;
  /** Container that receives env, resources, probes and pull policy. */
  container: string;
  /** Gateways take Service ports from values, so `k8s.service.ports` is not patched again. */
  servicePortsFromValues?: boolean;
}

/**
 * Applies a component's `k8s` settings to its rendered objects, after
 * rendering, with strategic-merge semantics (env and containers merged by
 * name, maps merged, other lists replaced), the mapping Istio documents:
 * pod-level settings on the workload's template, container settings on the
 * main container, `service`/`serviceAnnotations` on the Service,
 * `hpaSpec` on the HPA and `podDisruptionBudget` on the PDB. `volumes` and
 * `volumeMounts` map nowhere (as in Istio). Returns new objects.
 */
export function applyK8sSettings(
  objects: readonly K8sObject[],
  k8s: KubernetesResourcesSpec | undefined,
  target: K8sTarget,
): K8sObject[] {
  if (!k8s) return [...objects];
  const patches = patchesFor(k8s, target);
  return objects.map((o) => {
    if (o.metadata.name !== target.name) return o;
    const patch = patches.get(o.kind);
    if (!patch) return o;
    let merged = strategicMerge(o as unknown as Json, patch) as unknown as K8sObject;
    if (o.kind === 'PodDisruptionBudget') merged = onePdbBound(merged);
    return merged;
  });
}

function patchesFor(k8s: KubernetesResourcesSpec, t: K8sTarget): Map<string, JsonObject> {
  const pod: JsonObject = {};
  const podMeta: JsonObject = {};
  const container: JsonObject = { name: t.container };
  const spec: JsonObject = {};
  const j = (v: unknown): Json => toJson(v);
  if (k8s.affinity !== undefined) pod.affinity = j(k8s.affinity);
  if (k8s.nodeSelector !== undefined) pod.nodeSelector = j(k8s.nodeSelector);
  if (k8s.priorityClassName !== undefined) pod.priorityClassName = k8s.priorityClassName;
  if (k8s.tolerations !== undefined) pod.tolerations = j(k8s.tolerations);
  if (k8s.securityContext !== undefined) pod.securityContext = j(k8s.securityContext);
  if (k8s.podAnnotations !== undefined) podMeta.annotations = j(k8s.podAnnotations);
  if (k8s.env !== undefined) container.env = j(k8s.env);
  if (k8s.imagePullPolicy !== undefined) container.imagePullPolicy = k8s.imagePullPolicy;
  if (k8s.readinessProbe !== undefined) container.readinessProbe = j(k8s.readinessProbe);
  if (k8s.resources !== undefined) container.resources = j(k8s.resources);
  if (Object.keys(container).length > 1) pod.containers = [container];
  if (k8s.replicaCount !== undefined) spec.replicas = k8s.replicaCount;
  if (k8s.strategy !== undefined) spec.strategy = j(k8s.strategy);
  const template: JsonObject = {};
  if (Object.keys(pod).length) template.spec = pod;
  if (Object.keys(podMeta).length) template.metadata = podMeta;
  if (Object.keys(template).length) spec.template = template;

  const out = new Map<string, JsonObject>();
  if (Object.keys(spec).length) out.set(t.workloadKind, { spec });
  const svc: JsonObject = {};
  if (k8s.service !== undefined) {
    const s = j(k8s.service);
    if (isJsonObject(s)) {
      const rest = { ...s };
      if (t.servicePortsFromValues) delete rest.ports;
      if (Object.keys(rest).length) svc.spec = rest;
    }
  }
  if (k8s.serviceAnnotations !== undefined) {
    svc.metadata = { annotations: j(k8s.serviceAnnotations) };
  }
  if (Object.keys(svc).length) out.set('Service', svc);
  if (k8s.hpaSpec !== undefined) out.set('HorizontalPodAutoscaler', { spec: j(k8s.hpaSpec) });
  if (k8s.podDisruptionBudget !== undefined) {
    out.set('PodDisruptionBudget', { spec: j(k8s.podDisruptionBudget) });
  }
  return out;
}

/** A PDB may not carry both bounds; like Istio 1.27, minAvailable yields to maxUnavailable. */
function onePdbBound(pdb: K8sObject): K8sObject {
  const spec = pdb.spec;
  if (isJsonObject(spec) && spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    const rest = { ...spec };
    delete rest.minAvailable;
    return { ...pdb, spec: rest };
  }
  return pdb;
}
