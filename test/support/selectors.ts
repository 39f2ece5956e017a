/** A Kubernetes label selector. */
export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether a label selector selects an object with these labels (as the API server judges it). */
export function selects(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && e.values!.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A MutatingWebhookConfiguration, as far as matching pods goes. */
export interface WebhookConfig {
  metadata?: { name?: string };
  webhooks?: { name: string; namespaceSelector?: Selector; objectSelector?: Selector }[];
}

/**
 * The names of the configurations with a webhook that would be called for a
 * pod with `podLabels` created in a namespace with `namespaceLabels`.
 */
export function matchingConfigs(
  configs: readonly WebhookConfig[],
  namespaceLabels: Record<string, string>,
  podLabels: Record<string, string> = {},
): string[] {
  return configs
    .filter((c) =>
      (c.webhooks ?? []).some(
        (w) =>
          selects(w.namespaceSelector, namespaceLabels) && selects(w.objectSelector, podLabels),
      ),
    )
    .map((c) => c.metadata?.name ?? '');
}
