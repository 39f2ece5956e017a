/**
 * What an IstioOperator renders, and who else wants an object: the render
 * the reconciler applies, and the questions hand-overs between
 * IstioOperators ask (see applyManifest's ownerWants and the prune filter).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator } from '../api/types.js';
import { identity, type Owner } from '../apply/live.js';
import { generateIstioOperator } from '../profiles/index.js';
import { renderManifest, type Manifest } from '../render/manifest.js';
import { OverlayError } from '../render/overlays.js';
import { RenderInputError } from '../translate/plan.js';

/** Merges profile and spec, validates and renders; throws a validation or render error. */
export function render(iop: IstioOperator): Manifest {
  const content = JSON.stringify({
    apiVersion: iop.apiVersion,
    kind: iop.kind,
    metadata: { name: iop.metadata.name, namespace: iop.metadata.namespace },
    spec: iop.spec ?? {},
  });
  const { iop: merged } = generateIstioOperator({
    files: [{ name: `${iop.metadata.namespace}/${iop.metadata.name}`, content }],
    set: [],
  });
  try {
    return renderManifest(merged);
  } catch (err) {
    if (err instanceof OverlayError || err instanceof RenderInputError)
      throw new Error(err.message);
    throw err;
  }
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
      desiredIdentities(other)?.has(id) === true,
  );
}

const desiredCache = new WeakMap<IstioOperator, Set<string> | undefined>();

/**
 * The identities of every object an IstioOperator renders, undefined when it
 * does not render; memoized per cached object (a new version is a new object).
 */
function desiredIdentities(iop: IstioOperator): Set<string> | undefined {
  if (desiredCache.has(iop)) return desiredCache.get(iop);
  if (iop.metadata.deletionTimestamp) return new Set();
  let ids: Set<string> | undefined;
  try {
    ids = new Set(render(iop).objects.map((o) => identity(o as KubernetesObject)));
  } catch {
    ids = undefined;
  }
  desiredCache.set(iop, ids);
  return ids;
}

/**
 * Whether the IstioOperator `owner` (among `all`) still renders `object`;
 * unknown to the caches or unrenderable counts as yes (no hand-over).
 */
export function ownerWants(
  all: readonly IstioOperator[],
  owner: Owner,
  object: KubernetesObject,
): boolean {
  const theirs = all.find(
    (o) => o.metadata.name === owner.name && o.metadata.namespace === owner.namespace,
  );
  const wanted = theirs && desiredIdentities(theirs);
  return !wanted || wanted.has(identity(object));
}
