import type { WebhookConfigView } from './injectors.js';
import type { WorkloadObjectView } from './rollout.js';
import type { ContainerView, NamespaceView, OwnerRef, PodView } from './types.js';

/**
 * The views of {@link PodView}, {@link NamespaceView},
 * {@link WebhookConfigView} and {@link WorkloadObjectView} copied out of
 * API objects. Structural input types (the shape of the Kubernetes JSON),
 * so this folder depends on no client library and the copies keep only
 * what the decision reads.
 */
interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
}

/** A pod as the API returns it (only the fields read). */
export interface PodObject {
  metadata?: Meta;
  spec?: {
    containers?: { name: string; image?: string }[];
    initContainers?: { name: string; image?: string }[];
  };
  status?: { phase?: string };
}

const containers = (cs: { name: string; image?: string }[] | undefined): ContainerView[] =>
  (cs ?? []).map((c) => ({ name: c.name, ...(c.image !== undefined ? { image: c.image } : {}) }));

/** A pod's view. */
export function podView(p: PodObject): PodView {
  const m = p.metadata ?? {};
  const owners: OwnerRef[] = (m.ownerReferences ?? []).map((o) => ({
    kind: o.kind,
    name: o.name,
    ...(o.controller !== undefined ? { controller: o.controller } : {}),
  }));
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    labels: { ...m.labels },
    annotations: { ...m.annotations },
    ownerReferences: owners,
    containers: containers(p.spec?.containers),
    initContainers: containers(p.spec?.initContainers),
    ...(p.status?.phase !== undefined ? { phase: p.status.phase } : {}),
  };
}

/** A namespace's view. */
export function namespaceView(n: { metadata?: Meta }): NamespaceView {
  return { name: n.metadata?.name ?? '', labels: { ...n.metadata?.labels } };
}

/** A MutatingWebhookConfiguration as the API returns it (only the fields read). */
export interface WebhookConfigObject {
  metadata?: Meta;
  webhooks?: { namespaceSelector?: unknown; objectSelector?: unknown }[];
}

/** A MutatingWebhookConfiguration's view. */
export function webhookConfigView(c: WebhookConfigObject): WebhookConfigView {
  return {
    labels: { ...c.metadata?.labels },
    webhooks: (c.webhooks ?? []).map((w) => ({
      namespaceSelector: w.namespaceSelector,
      objectSelector: w.objectSelector,
    })),
  };
}

/** A Deployment, StatefulSet or DaemonSet as the API returns it (only the fields read). */
export interface WorkloadObject {
  kind?: string;
  metadata?: Meta & { generation?: number };
  spec?: {
    replicas?: number;
    progressDeadlineSeconds?: number;
    template?: { metadata?: { annotations?: Record<string, string> } };
  };
  status?: Record<string, unknown>;
}

/**
 * A workload's view. `kind` defaults to the object's own: the items of a
 * list the API returns carry none, so a caller that listed them passes it.
 */
export function workloadObjectView(w: WorkloadObject, kind = w.kind ?? ''): WorkloadObjectView {
  const m = w.metadata ?? {};
  const status = w.status ?? {};
  const observed = status['observedGeneration'];
  return {
    namespace: m.namespace ?? '',
    kind,
    name: m.name ?? '',
    labels: { ...m.labels },
    annotations: { ...m.annotations },
    templateAnnotations: { ...w.spec?.template?.metadata?.annotations },
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(typeof observed === 'number' ? { observedGeneration: observed } : {}),
    ...(w.spec?.replicas !== undefined ? { replicas: w.spec.replicas } : {}),
    ...(w.spec?.progressDeadlineSeconds !== undefined
      ? { progressDeadlineSeconds: w.spec.progressDeadlineSeconds }
      : {}),
    status: { ...status },
  };
}
