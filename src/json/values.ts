/**
 * Readers of a values tree by dotted path (`global.proxy.image`), with
 * Helm's meaning of emptiness and truth, as the charts read their values.
 */
import { getPath as getPathOf } from './path.js';
import { isJsonObject, type Json, type JsonObject } from './value.js';

/** Reads a dotted path from a JSON tree; undefined when any step is missing. */
export function getPath(root: Json | undefined, path: string): Json | undefined {
  return getPathOf(root, path.split('.')) as Json | undefined;
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
