import type { ComponentPlan, RenderPlan } from '../translate/plan.js';
import type { K8sObject } from './object.js';
import { revLabel } from './names.js';
import { LABELS } from '../api/vocabulary.js';

/**
 * The ownership labels of one component's objects, exactly the set istioctl
 * stamps, so `istioctl uninstall` and prune selectors recognise our objects.
 * The version label records the version the component runs (its own tag when
 * it has one): the upgrade guard compares it with the next one.
 */
export function ownershipLabels(plan: RenderPlan, c: ComponentPlan): Record<string, string> {
  return {
    [LABELS.managed]: 'Reconcile',
    [LABELS.version]: c.version,
    [LABELS.owner]: plan.owner.name,
    [LABELS.ownerNamespace]: plan.owner.namespace,
    [LABELS.rev]: revLabel(plan.revision),
    [LABELS.component]: c.component,
  };
}

/**
 * Adds the ownership labels to every object's metadata (not to pod
 * templates). An object that names its revision itself keeps that
 * `istio.io/rev` (the default-revision validator and revision tags point at
 * a revision other than the one being installed). Returns new objects; the
 * inputs are not modified.
 */
export function withOwnership(
  objects: readonly K8sObject[],
  labels: Record<string, string>,
): K8sObject[] {
  return objects.map((o) => {
    const own = o.metadata.labels ?? {};
    const merged = { ...own, ...labels };
    const rev = own[LABELS.rev];
    if (rev !== undefined) merged[LABELS.rev] = rev;
    return { ...o, metadata: { ...o.metadata, labels: merged } };
  });
}
