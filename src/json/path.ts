import { isObject } from './value.js';

type JsonObject = Record<string, unknown>;

/** Reads the value at `path` (keys and list indexes), or undefined. */
export function getPath(root: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = root;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[seg];
    } else {
      if (!isObject(node)) return undefined;
      node = node[seg];
    }
  }
  return node;
}

/** Sets `value` at a key path, creating maps on the way (replacing non-maps). */
export function setPath(root: JsonObject, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isObject(next)) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[path[path.length - 1]!] = value;
}

/** Deletes the key at `path` and then every map on the way that became empty. */
export function deletePath(root: JsonObject, path: readonly string[]): void {
  const chain: JsonObject[] = [root];
  for (const key of path.slice(0, -1)) {
    const next = chain[chain.length - 1]![key];
    if (!isObject(next)) return;
    chain.push(next);
  }
  delete chain[chain.length - 1]![path[path.length - 1]!];
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]!).length > 0) break;
    delete chain[i - 1]![path[i - 1]!];
  }
}

/**
 * Renders a path the way messages show it: `spec.components.ingressGateways[0].name`;
 * keys that are not plain identifiers are quoted: `podAnnotations["example.com/x"]`.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
