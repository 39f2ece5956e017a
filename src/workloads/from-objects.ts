import type { WebhookConfigView } from './injectors.js';
import type { ContainerView, NamespaceView, OwnerRef, PodView } from './types.js';

/**
 * The views of {@link PodView}, {@link NamespaceView} and
 * {@link WebhookConfigView} copied out of API objects. Structural input
 * types (the shape of the Kubernetes JSON), so this folder depends on no
 * client library and the copies keep only what the decision reads.
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
