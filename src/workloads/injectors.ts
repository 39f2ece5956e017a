import type { InjectorView } from './types.js';

/** The fields of a MutatingWebhookConfiguration that say which injector it is. */
export interface WebhookConfigView {
  labels: Record<string, string>;
  webhooks: { namespaceSelector?: unknown; objectSelector?: unknown }[];
}

/**
 * The injectors of the cluster, from its MutatingWebhookConfigurations
 * labelled `app=sidecar-injector`, as istiod's chart and revision tags label
 * them: `istio.io/rev` names the revision a configuration sends pods to,
 * `istio.io/tag` (on `istio-revision-tag-<T>`) the tag it answers. A
 * configuration whose every webhook is deactivated (istioctl's and our
 * `istio.io/deactivated` never-match selector, left on the default
 * revision's own injector once the `default` tag answers for it) counts for
 * nothing. Reading the live objects, not the IstioOperators, also covers
 * tags and revisions that istioctl or another operator installed.
 */
export function injectorsFrom(configs: WebhookConfigView[]): InjectorView {
  const revisions = new Set<string>();
  const tags = new Map<string, string>();
  const sorted = [...configs].sort((a, b) => key(a).localeCompare(key(b)));
  for (const c of sorted) {
    if (c.labels['app'] !== 'sidecar-injector') continue;
    const rev = c.labels['istio.io/rev'];
    if (!rev || !c.webhooks.some(active)) continue;
    const tag = c.labels['istio.io/tag'];
    if (tag) {
      if (!tags.has(tag)) tags.set(tag, rev);
    } else revisions.add(rev);
  }
  return { revisions, tags };
}

/** A webhook that can match some pod: neither selector is the never-match one. */
function active(w: { namespaceSelector?: unknown; objectSelector?: unknown }): boolean {
  return !neverMatches(w.namespaceSelector) && !neverMatches(w.objectSelector);
}

function neverMatches(sel: unknown): boolean {
  if (!sel || typeof sel !== 'object') return false;
  const ml = (sel as { matchLabels?: Record<string, unknown> }).matchLabels;
  return !!ml && 'istio.io/deactivated' in ml;
}

/** Order-independence: two configurations claiming one tag resolve the same way every time. */
const key = (c: WebhookConfigView) =>
  `${c.labels['istio.io/tag'] ?? ''}\n${c.labels['istio.io/rev'] ?? ''}`;
