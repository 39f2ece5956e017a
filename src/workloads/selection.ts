import type { InjectorView, NamespaceView, PodView } from './types.js';

/** Why a pod wants no proxy, or the revision it wants one from. */
export type Wanted =
  | { revision: string; selector: string }
  | { revision: undefined; why: 'opt-out' | 'not-selected' | 'no-injector'; selector?: string };

/**
 * The revision whose injector a pod created now would be sent to, decided
 * the way the injector webhooks' selectors do (src/render/webhooks.ts; the
 * table in the injection facts): `istio-injection` on the namespace wins
 * (`enabled` → the default injector, anything else → none), then the
 * namespace's `istio.io/rev`, then — only in a namespace carrying neither —
 * the pod's `istio.io/rev` label, then its `sidecar.istio.io/inject=true`
 * label (default injector). A pod labelled or annotated
 * `sidecar.istio.io/inject: "false"` opts out (the label by the webhooks'
 * objectSelector, the annotation by istiod's own check).
 *
 * A selector value names a tag or a revision; a tag wins (istioctl refuses a
 * tag named like a revision, and the `default` tag deactivates the default
 * revision's own catch-all hooks, see src/render/default-tag.ts).
 * `enableNamespacesByDefault` is not modelled: such pods read as not selected.
 * The pod's labels stand for its template's: the injector also sets
 * `istio.io/rev` on the pods it injects, so in a namespace with neither
 * label an injected pod reads as wanted by its own revision (judged on
 * version only) — reading the owners' templates would need their RBAC.
 */
export function wantedRevision(
  ns: NamespaceView | undefined,
  pod: Pick<PodView, 'labels' | 'annotations'>,
  injectors: InjectorView,
): Wanted {
  const nsLabels = ns?.labels ?? {};
  const optOut =
    pod.labels['sidecar.istio.io/inject'] === 'false' ||
    pod.annotations['sidecar.istio.io/inject'] === 'false';
  let selector: string | undefined;
  const nsInjection = nsLabels['istio-injection'];
  if (nsInjection !== undefined) {
    if (nsInjection === 'enabled') selector = 'default';
  } else if (nsLabels['istio.io/rev'] !== undefined) {
    selector = nsLabels['istio.io/rev'];
  } else if (pod.labels['istio.io/rev'] !== undefined) {
    selector = pod.labels['istio.io/rev'];
  } else if (pod.labels['sidecar.istio.io/inject'] === 'true') {
    selector = 'default';
  }
  if (selector === undefined) return { revision: undefined, why: 'not-selected' };
  if (optOut) return { revision: undefined, why: 'opt-out', selector };
  const revision = resolveSelector(selector, injectors);
  if (revision === undefined) return { revision: undefined, why: 'no-injector', selector };
  return { revision, selector };
}

/** The revision a selector value (tag or revision) reaches, if any injector answers it. */
export function resolveSelector(selector: string, injectors: InjectorView): string | undefined {
  return injectors.tags.get(selector) ?? (injectors.revisions.has(selector) ? selector : undefined);
}
