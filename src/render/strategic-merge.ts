import { clone, isJsonObject, type Json, type JsonObject } from '../json/value.js';

/**
 * Merge keys of the Kubernetes lists k8s settings touch, by field name, as
 * in the API's strategic-merge-patch metadata. Lists not named here are
 * replaced by the patch, again as Kubernetes does.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
};

/**
 * Applies `patch` to `target` with strategic-merge semantics: maps merge,
 * `null` deletes a key, lists with a known merge key merge element by
 * element, other lists replace. `ports` merge by `containerPort` inside
 * containers and by `port` elsewhere. A merged list is ordered as
 * Kubernetes' strategic merge patch orders it (its normalizeElementOrder),
 * which istioctl applies `k8s` settings with: the patch's elements keep
 * their patch order, the target's other elements theirs, and the two are
 * interleaved by their place in the target — so an element new to the
 * list lands before the target's elements that follow it, not at the end.
 * Neither input is modified.
 */
export function strategicMerge(target: Json | undefined, patch: Json, field = ''): Json {
  if (patch === null) return null;
  if (Array.isArray(patch)) {
    const key = mergeKey(field, patch);
    if (!key || !Array.isArray(target)) return clone(patch);
    const keyOf = (x: Json) => (isJsonObject(x) ? x[key] : undefined);
    const serverIndex = (x: Json) => target.findIndex((t) => keyOf(t) === keyOf(x));
    // The patch's elements, merged into their target element where there is one.
    const patched: Json[] = [];
    for (const p of patch) {
      if (!isJsonObject(p)) continue;
      const i = serverIndex(p);
      patched.push(i >= 0 ? strategicMerge(target[i], p, field) : clone(p));
    }
    const inPatch = new Set(patched.map(keyOf));
    const serverOnly = target.filter((t) => !inPatch.has(keyOf(t))).map((x) => clone(x));
    // mergeSortedSlice(serverOnly, patched, target order).
    const out: Json[] = [];
    let i = 0;
    let j = 0;
    while (i < serverOnly.length || j < patched.length) {
      if (j >= patched.length) out.push(serverOnly[i++]!);
      else if (i >= serverOnly.length) out.push(patched[j++]!);
      else {
        const li = serverIndex(serverOnly[i]!);
        const ri = serverIndex(patched[j]!);
        if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]!);
        else out.push(patched[j++]!);
      }
    }
    return out;
  }
  if (isJsonObject(patch)) {
    const out: JsonObject = isJsonObject(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = strategicMerge(out[k], v, k);
    }
    return out;
  }
  return patch;
}

function mergeKey(field: string, items: Json[]): string | undefined {
  if (field === 'ports') {
    const first = items.find(isJsonObject);
    return first && 'containerPort' in first ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}
