/**
 * The rules that keep upgrades safe: one minor version at a time (unless the
 * user opts out), gateways rolled only after their istiod, and a revision
 * not uninstalled while workloads still use it (unless the user forces it).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { RolloutHold } from '../apply/holds.js';
import { describeObject, ownerOf, type LiveState, type Owner } from '../apply/live.js';
import type { KubeClient } from '../kube/client.js';
import { resourceTypeOf } from '../kube/resource.js';
import type { Manifest } from '../render/manifest.js';
import { istiodName } from '../render/names.js';
import type { ComponentName } from '../translate/plan.js';
import { judgeVersionChange, type SkewRefusal } from '../releases/version.js';
import {
  ALLOW_VERSION_SKEW_ANNOTATION,
  FORCE_DELETE_ANNOTATION,
  LABELS,
} from '../api/vocabulary.js';

/** A refused version change of one component. */
export interface ComponentSkew extends SkewRefusal {
  component: ComponentName;
}

/**
 * The version changes this render would make to objects the IstioOperator
 * already owns, that the upgrade rules refuse: at most one per component.
 * The running version is read from the live objects' version label, so the
 * guard holds across operator restarts and does not trust status.
 */
export function refusedVersionChanges(
  manifest: Manifest,
  live: LiveState,
  owner: Owner,
): ComponentSkew[] {
  const out = new Map<ComponentName, ComponentSkew>();
  for (const c of manifest.components) {
    if (out.has(c.component)) continue;
    for (const o of c.objects) {
      const l = live.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
      const who = l && ownerOf(l);
      if (!who || who.name !== owner.name || who.namespace !== owner.namespace) continue;
      const from = l.metadata?.labels?.[LABELS.version];
      const to = o.metadata.labels?.[LABELS.version];
      if (!from || !to) continue;
      const refusal = judgeVersionChange(from, to);
      if (refusal) {
        out.set(c.component, { component: c.component, ...refusal });
        break;
      }
    }
  }
  return [...out.values()];
}

/** The field that sets a component's version, for messages. */
function tagField(component: ComponentName): string {
  switch (component) {
    case 'Pilot':
      return 'spec.tag (or spec.components.pilot.tag)';
    case 'IngressGateways':
      return 'spec.tag (or spec.components.ingressGateways[].tag)';
    case 'EgressGateways':
      return 'spec.tag (or spec.components.egressGateways[].tag)';
    default:
      return 'spec.tag';
  }
}

/** One message per refused change, naming the field, the step to take and the override. */
export function describeSkew(skews: readonly ComponentSkew[]): string[] {
  return skews.map(
    (s) =>
      `${tagField(s.component)}: ${s.component} ${s.message}. Nothing was changed. ` +
      `To force it, annotate the IstioOperator ${ALLOW_VERSION_SKEW_ANNOTATION}="true".`,
  );
}

function images(o: KubernetesObject | undefined): string[] {
  const spec = (o as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } })
    ?.spec;
  return (spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '');
}

/**
 * The upgrade holds (apply/holds.ts): a gateway whose image changes (an
 * upgrade, not a first install) waits until the istiod of its revision has
 * rolled out at least the gateway's new version, so proxies never run ahead
 * of their control plane. Pilot is applied before gateways, so in one
 * IstioOperator the gateways follow its rollout; with gateways in their own
 * IstioOperator they wait for whichever IstioOperator runs istiod. Without
 * an istiod in the cluster (external control plane) nothing is held.
 * Decided from the cached state before the apply (gateways are written only
 * after their hold is judged); the apply judges istiod as it has left it.
 */
export function gatewayHolds(manifest: Manifest, live: LiveState): RolloutHold[] {
  const { plan } = manifest;
  const holds: RolloutHold[] = [];
  const gateways: ComponentName[] = ['IngressGateways', 'EgressGateways'];
  for (const component of gateways) {
    const upgrading = manifest.components
      .filter((c) => c.component === component)
      .flatMap((c) => c.objects as KubernetesObject[])
      .filter((o) => {
        if (o.kind !== 'Deployment') return false;
        const l = live.get(o.apiVersion!, o.kind, o.metadata?.namespace, o.metadata!.name!);
        return l !== undefined && images(l).join() !== images(o).join();
      });
    if (upgrading.length === 0) continue;
    holds.push({
      component,
      workload: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: plan.istioNamespace,
        name: istiodName(plan.revision),
      },
      role: 'gateway',
      upgrading: upgrading.map((o) => ({
        object: describeObject(o),
        version: o.metadata?.labels?.[LABELS.version],
      })),
    });
  }
  return holds;
}

/**
 * The revision whose istiod this IstioOperator runs, and the revision tags
 * pointing at it, read from what it owns live; undefined for the default
 * revision or when it runs no istiod (deleting those is a plain uninstall).
 */
export function servedRevision(
  owned: readonly KubernetesObject[],
): { revision: string; selectors: string[] } | undefined {
  const istiod = owned.find(
    (o) => o.kind === 'Deployment' && o.metadata?.labels?.[LABELS.component] === 'Pilot',
  );
  const revision = istiod?.metadata?.labels?.[LABELS.rev];
  if (!revision || revision === 'default') return undefined;
  const tags = owned
    .filter((o) => o.kind === 'MutatingWebhookConfiguration')
    .flatMap((o) => o.metadata?.labels?.['istio.io/tag'] ?? []);
  return { revision, selectors: [revision, ...tags] };
}

const MAX_LISTED = 10;

/**
 * What still uses the control-plane revision this IstioOperator runs:
 * namespaces labelled `istio.io/rev=<rev or one of its tags>`, and pods
 * carrying that label (injected pods do) — except the pods of workloads this
 * IstioOperator owns itself (its gateways), which go with it. Empty means
 * nothing uses it.
 */
export async function revisionUsers(
  client: KubeClient,
  selectors: readonly string[],
  owned: readonly KubernetesObject[],
): Promise<string[]> {
  const selector = `${LABELS.rev} in (${selectors.join(',')})`;
  const [namespaces, pods] = await Promise.all([
    client.list(resourceTypeOf('v1', 'Namespace')!, undefined, selector),
    client.list(resourceTypeOf('v1', 'Pod')!, undefined, selector),
  ]);
  const ownSelectors = owned
    .filter((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet')
    .map((o) => ({
      namespace: o.metadata?.namespace,
      labels:
        (o as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec?.selector
          ?.matchLabels ?? {},
    }));
  const ours = (p: KubernetesObject) =>
    ownSelectors.some(
      (s) =>
        s.namespace === p.metadata?.namespace &&
        Object.keys(s.labels).length > 0 &&
        Object.entries(s.labels).every(([k, v]) => p.metadata?.labels?.[k] === v),
    );
  const users = [
    ...namespaces.map(
      (n) => `namespace ${n.metadata?.name} (${LABELS.rev}=${n.metadata?.labels?.[LABELS.rev]})`,
    ),
    ...pods
      .filter((p) => !ours(p) && !p.metadata?.deletionTimestamp)
      .map(
        (p) =>
          `pod ${p.metadata?.namespace}/${p.metadata?.name} (${LABELS.rev}=${p.metadata?.labels?.[LABELS.rev]})`,
      ),
  ].sort();
  return users;
}

/** The message of a deletion waiting for the revision's users. */
export function describeRevisionUsers(revision: string, users: readonly string[]): string {
  const listed = users.slice(0, MAX_LISTED).join(', ');
  const more = users.length > MAX_LISTED ? ` and ${users.length - MAX_LISTED} more` : '';
  return (
    `revision ${revision} is still in use by ${users.length} workload(s): ${listed}${more}. ` +
    `Move them to another revision (relabel the namespaces, restart the pods), then the ` +
    `uninstall continues by itself; or annotate the IstioOperator ` +
    `${FORCE_DELETE_ANNOTATION}="true" to uninstall anyway.`
  );
}
