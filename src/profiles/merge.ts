import type { JsonObject } from '../api/types.js';
import { mergeJson } from '../json/merge.js';

/**
 * Merges IstioOperator layers, lowest precedence first, the way Istio 1.24+
 * does (json/merge.ts): maps merge recursively, lists and scalars replace —
 * a user's `components.ingressGateways` list replaces the profile's
 * wholesale, with no merge by gateway name. No input is modified.
 */
export function mergeLayers<T extends JsonObject>(layers: JsonObject[]): T {
  return layers.reduce<JsonObject>((acc, l) => mergeJson(acc, l), {}) as T;
}
