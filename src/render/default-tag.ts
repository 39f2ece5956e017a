/**
 * One injector per revision, as `istioctl install` leaves a default
 * installation. istioctl 1.27 renders `istio-sidecar-injector` with live
 * selectors (what `manifest generate` prints), then, installing the default
 * revision, creates the revision tag `default` (`istio-revision-tag-default`,
 * which answers `istio-injection=enabled`, `istio.io/rev=default` and
 * `sidecar.istio.io/inject=true`) and `istiod-default-validator`, and
 * deactivates every webhook of `istio-sidecar-injector` with a
 * selector that never matches (`istio.io/deactivated: never-match`). The
 * operator applies the same end state, so that it adopts an istioctl
 * install without changing a webhook, and so that two mutating webhooks
 * never both inject one pod: had it re-activated `istio-sidecar-injector`
 * next to istioctl's tag, every injected pod would be matched twice.
 *
 * `manifest generate` keeps printing istioctl's `manifest generate` (the
 * conformance contract); the operator and `diff` use {@link
 * withDefaultRevisionTag}, as istioctl install does.
 *
 * `istiod-default-validator` is not added: its name is one per cluster, so
 * two default-revision IstioOperators (in two namespaces) would fight over
 * it; it stays what `values.defaultRevision` renders in Base. One that
 * istioctl created is left as it is.
 */
import { ownershipLabels, withOwnership } from './labels.js';
import type { Manifest } from './manifest.js';
import { mutatingWebhookName } from './names.js';
import type { K8sObject } from './object.js';
import { sortObjects } from './order.js';
import { renderRevisionTag, revisionTagName } from './webhooks.js';
import type { JsonObject } from '../json/value.js';

/** The selector istioctl writes into a deactivated injector webhook. */
export const NEVER_MATCH: JsonObject = {
  matchLabels: { 'istio.io/deactivated': 'never-match' },
};

/** Options for {@link withDefaultRevisionTag}. */
export interface DefaultTagOptions {
  /**
   * Another IstioOperator lists `default` in `values.revisionTags` (a canary
   * took the tag over): the tag is left to it, the injector stays
   * deactivated.
   */
  tagClaimedElsewhere?: boolean;
}

/**
 * `m` as `istioctl install` leaves it for the default revision: the
 * per-revision injector deactivated, the `default` revision tag added to
 * Pilot (unless the manifest has it already).
 * Returns `m` itself for a revisioned install, for `operatorManageWebhooks`
 * and when Pilot renders no injector webhook. Pure.
 */
export function withDefaultRevisionTag(m: Manifest, opts: DefaultTagOptions = {}): Manifest {
  const { plan } = m;
  const pilot = plan.pilot;
  if (plan.revision !== '' || !pilot || plan.webhooks.operatorManaged) {
    return m;
  }
  const ns = pilot.namespace;
  const injectorName = mutatingWebhookName('', ns);
  const isInjector = (o: K8sObject) =>
    o.kind === 'MutatingWebhookConfiguration' && o.metadata.name === injectorName;
  const pilotIndex = m.components.findIndex(
    (c) => c.component === 'Pilot' && c.objects.some(isInjector),
  );
  if (pilotIndex < 0) return m;

  const tagName = revisionTagName('default', ns);
  const has = (kind: string, name: string) =>
    m.objects.some((o) => o.kind === kind && o.metadata.name === name);
  const added: K8sObject[] = [];
  if (!opts.tagClaimedElsewhere && !has('MutatingWebhookConfiguration', tagName)) {
    added.push(renderRevisionTag(plan, ns, 'default'));
  }

  const pilotComponent = m.components[pilotIndex]!;
  const objects = [
    ...pilotComponent.objects.map((o) => (isInjector(o) ? deactivated(o) : o)),
    ...withOwnership(added, ownershipLabels(plan, pilot)),
  ];
  const components = m.components.map((c, i) => (i === pilotIndex ? { ...c, objects } : c));
  return { plan, components, objects: sortObjects(components.flatMap((c) => c.objects)) };
}

/** An injector webhook configuration whose webhooks never match (a copy). */
function deactivated(o: K8sObject): K8sObject {
  const hooks = Array.isArray(o.webhooks) ? o.webhooks : [];
  return {
    ...o,
    webhooks: hooks.map((w) => ({
      ...(w as JsonObject),
      namespaceSelector: structuredClone(NEVER_MATCH),
      objectSelector: structuredClone(NEVER_MATCH),
    })),
  };
}
