import deepmerge from 'deepmerge';
import type { JsonObject } from '../api/types.js';

/**
 * Merges `overlay` onto `base` the way Istio 1.24+ does: maps merge
 * recursively, every other value (scalars and lists) replaces. So a user's
 * `components.ingressGateways` list replaces the profile's list wholesale;
 * there is no merge by gateway name. Neither input is modified.
 */
export function mergeTree<T extends JsonObject>(base: T, overlay: JsonObject): T {
  // Inputs are cloned first: deepmerge copies only what it considers
  // mergeable, so lists (which we replace) would otherwise be shared.
  return deepmerge<T>(structuredClone(base), structuredClone(overlay) as Partial<T>, {
    arrayMerge: (_target, source) => source,
    // Only plain objects merge; anything else (arrays, scalars) replaces.
    isMergeableObject: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  });
}

/** Merges several layers, lowest precedence first. */
export function mergeLayers<T extends JsonObject>(layers: JsonObject[]): T {
  return layers.reduce<JsonObject>((acc, l) => mergeTree(acc, l), {}) as T;
}
