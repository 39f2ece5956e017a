/**
 * JSON values, the data every layer passes around: the IstioOperator tree,
 * Helm values, rendered objects. A leaf module: it imports nothing, and
 * every layer (api, profiles, translate, render, apply, controller) uses it
 * instead of a copy of its own.
 */

/** A JSON-compatible value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A JSON object (string keys, JSON values). */
export type JsonObject = { [key: string]: Json };

/** Whether `v` is a plain object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** {@link isObject}, typed for a tree known to hold only JSON (rendered objects, values). */
export const isJsonObject = isObject as (v: unknown) => v is JsonObject;

/** A deep copy of a JSON value (faster than structuredClone on the small trees rendered here). */
export function clone<T extends Json>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => clone(x)) as T;
  if (isJsonObject(v)) {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v)) o[k] = clone(x);
    return o as T;
  }
  return v;
}

/** Converts a loose parsed value into JSON (drops undefined, keeps everything else). */
export function toJson(v: unknown): Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(toJson);
  if (typeof v === 'object') {
    const o: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x !== undefined) o[k] = toJson(x);
    }
    return o;
  }
  return null;
}
