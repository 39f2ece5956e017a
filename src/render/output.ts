import type { K8sObject } from './object.js';
import { dumpYaml } from '../yaml/dump.js';

/**
 * Multi-document YAML of the objects, in the given order, keys sorted, so
 * the text is byte-stable across runs (what GitOps diffs need).
 */
export function toYamlDocuments(objects: readonly K8sObject[]): string {
  return objects.map((o) => `---\n${dumpYaml(o)}`).join('');
}

/** A `v1` List holding the objects, as indented JSON with sorted keys. */
export function toJsonList(objects: readonly K8sObject[]): string {
  return (
    JSON.stringify(sortKeys({ apiVersion: 'v1', kind: 'List', items: objects }), null, 2) + '\n'
  );
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = sortKeys((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}
