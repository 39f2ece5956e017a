import { isJsonObject, type Json, type JsonObject } from './object.js';
import { clone } from '../translate/merge.js';

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
 * element (new elements appended in patch order), other lists replace.
 * `ports` merge by `containerPort` inside containers and by `port`
 * elsewhere. Neither input is modified.
 */
export function strategicMerge(target: Json | undefined, patch: Json, field = ''): Json {
  if (patch === null) return null;
  if (Array.isArray(patch)) {
    const key = mergeKey(field, patch);
    if (!key || !Array.isArray(target)) return clone(patch);
    const out = target.map((x) => clone(x));
    for (const p of patch) {
      if (!isJsonObject(p)) continue;
      const i = out.findIndex((t) => isJsonObject(t) && t[key] === p[key]);
      if (i >= 0) out[i] = strategicMerge(out[i], p, field);
      else out.push(clone(p));
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
