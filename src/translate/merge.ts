import { isJsonObject, type Json, type JsonObject } from '../render/object.js';

/**
 * Deep-merges `over` onto `base` the way Istio 1.27 merges values: maps merge
 * key by key, every other value (scalars and lists) replaces. A `null` in
 * `over` replaces too. Neither input is modified; the result shares no
 * mutable structure with them.
 */
export function mergeValues(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(base)) out[k] = clone(v);
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k];
    out[k] = isJsonObject(cur) && isJsonObject(v) ? mergeValues(cur, v) : clone(v);
  }
  return out;
}

/** A deep copy of a JSON value. */
export function clone<T extends Json>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => clone(x)) as T;
  if (isJsonObject(v)) {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = clone(x);
    return o as T;
  }
  return v;
}

/** Reads a dotted path from a JSON tree; undefined when any step is missing. */
export function getPath(root: Json | undefined, path: string): Json | undefined {
  let cur: Json | undefined = root;
  for (const part of path.split('.')) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Reads a dotted path as an object, or `{}` when it is missing or not an object. */
export function getObject(root: Json | undefined, path: string): JsonObject {
  const v = getPath(root, path);
  return isJsonObject(v) ? v : {};
}

/** Reads a dotted path as a string ('' when missing; numbers are stringified, as Helm prints them). */
export function getString(root: Json | undefined, path: string): string {
  const v = getPath(root, path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** Reads a dotted path as Helm truthiness: missing, false, 0, '' and empty collections are false. */
export function getBool(root: Json | undefined, path: string): boolean {
  return truthy(getPath(root, path));
}

/** Helm/Go-template truthiness of a value. */
export function truthy(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isJsonObject(v)) return Object.keys(v).length > 0;
  return true;
}
