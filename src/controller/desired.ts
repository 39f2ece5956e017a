/**
 * What an IstioOperator renders, and who else wants an object: the render
 * the reconciler applies, and the questions hand-overs between
 * IstioOperators ask (see applyManifest's handOvers and the prune filter).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator } from '../api/types.js';
import { identity, ownerOf, type LiveState, type Owner } from '../apply/live.js';
import type { Manifest } from '../render/manifest.js';
import type { ComponentName } from '../translate/plan.js';
import { clusterInput, renderIstioOperator } from '../pipeline/render-istio-operator.js';

/**
 * Merges profile and spec, validates and renders what the operator applies:
 * the manifest plus, for the default revision, what `istioctl install` adds
 * (the `default` revision tag and validator, the per-revision injector
 * deactivated: render/default-tag.ts), unless one of `others` lists the tag
 * `default` itself. Throws IstioOperatorValidationError or
 * InvalidSpecError for a spec at fault; anything else it throws is a bug.
 */
export function render(iop: IstioOperator, others: readonly IstioOperator[] = []): Manifest {
  const input = clusterInput(iop);
  const tagClaimedElsewhere = claimsDefaultTag(others, iop);
  // The render is pure: the same input renders the same manifest. Every
  // status write, every readiness check of a rollout, every resync hands
  // the reconciler the same spec again; rendering it anew (CRDs parsed,
  // templates run) was most of a no-op reconcile's time.
  const key = JSON.stringify([input, tagClaimedElsewhere]);
  const hit = rendered.get(key);
  if (hit) {
    rendered.delete(key);
    rendered.set(key, hit); // most recently used last
    return hit;
  }
  const manifest = renderIstioOperator(input, { asInstalled: { tagClaimedElsewhere } }).manifest;
  rendered.set(key, manifest);
  if (rendered.size > RENDERS_KEPT) rendered.delete(rendered.keys().next().value!);
  return manifest;
}

/**
 * Renders kept, by input: one or two per IstioOperator is what a cluster
 * needs (a spec and, while it changes, the previous one). A manifest is
 * never changed in place by anything after the render (the applier copies
 * before it changes anything), so one object serves every reconcile.
 */
const RENDERS_KEPT = 32;
const rendered = new Map<string, Manifest>();

/** Whether an IstioOperator other than `self` lists the revision tag `default`. */
export function claimsDefaultTag(all: readonly IstioOperator[], self: IstioOperator): boolean {
  return all.some((o) => {
    if (o.metadata.deletionTimestamp) return false;
    if (o.metadata.name === self.metadata.name && o.metadata.namespace === self.metadata.namespace)
      return false;
    const tags = (o.spec?.values as { revisionTags?: unknown } | undefined)?.revisionTags;
    return Array.isArray(tags) && tags.map(String).includes('default');
  });
}

/**
 * Whether another IstioOperator renders this object: then it is being handed
 * over (a revision tag moved between revisions in one commit) and is left for
 * the other one to take over, instead of being deleted in between.
 */
export function wantedByAnother(
  all: readonly IstioOperator[],
  o: KubernetesObject,
  owner: Owner,
): boolean {
  const id = identity(o);
  return all.some(
    (other) =>
      !(other.metadata.name === owner.name && other.metadata.namespace === owner.namespace) &&
      !other.metadata.deletionTimestamp &&
      desiredIdentities(other, all)?.has(id) === true,
  );
}

const desiredCache = new WeakMap<IstioOperator, Map<boolean, Set<string> | undefined>>();

/**
 * The identities of every object an IstioOperator renders (among `all`),
 * undefined when it does not render; memoized per cached object (a new
 * version is a new object) and per whether another one claims the tag
 * `default`, the one thing outside its spec its render depends on.
 */
function desiredIdentities(
  iop: IstioOperator,
  all: readonly IstioOperator[],
): Set<string> | undefined {
  if (iop.metadata.deletionTimestamp) return new Set();
  const claimed = claimsDefaultTag(all, iop);
  let byClaim = desiredCache.get(iop);
  if (!byClaim) desiredCache.set(iop, (byClaim = new Map()));
  if (byClaim.has(claimed)) return byClaim.get(claimed);
  let ids: Set<string> | undefined;
  try {
    ids = new Set(render(iop, all).objects.map((o) => identity(o as KubernetesObject)));
  } catch {
    ids = undefined;
  }
  byClaim.set(claimed, ids);
  return ids;
}

/**
 * The hand-overs an apply of `manifest` by `owner` may meet (applyManifest's
 * `handOvers`): for each other IstioOperator among `all` that owns a live
 * object `manifest` renders (outside the `shared` components, which are
 * never a conflict), the identities of every object it renders. One that
 * is unknown to the caches or does not render is left out: it keeps what
 * it owns. Rendered only when such an object exists, which is rare.
 */
export function handOvers(
  all: readonly IstioOperator[],
  manifest: Manifest,
  live: LiveState,
  owner: Owner,
  shared: readonly ComponentName[],
): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  const seen = new Set<string>();
  for (const c of manifest.components) {
    if (shared.includes(c.component)) continue;
    for (const o of c.objects) {
      const l = live.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
      const who = l && ownerOf(l);
      if (!who || (who.name === owner.name && who.namespace === owner.namespace)) continue;
      const key = `${who.namespace}/${who.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const theirs = all.find(
        (i) => i.metadata.name === who.name && i.metadata.namespace === who.namespace,
      );
      const wanted = theirs && desiredIdentities(theirs, all);
      if (wanted) out.set(key, wanted);
    }
  }
  return out;
}
