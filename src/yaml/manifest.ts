import yaml from 'js-yaml';
import { isJsonObject, type Json } from '../json/value.js';
import type { K8sObject } from '../render/object.js';

/**
 * Parses a multi-document manifest into objects, skipping empty documents
 * and unwrapping `kind: List`. Throws on YAML errors and on documents that
 * are not Kubernetes objects (the message names the document).
 */
export function parseManifest(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  const docs = yaml.loadAll(text);
  docs.forEach((d, i) => {
    if (d === null || d === undefined) return;
    const items =
      isJsonObject(d as Json) && (d as { kind?: unknown }).kind === 'List'
        ? ((d as { items?: unknown[] }).items ?? [])
        : [d];
    for (const item of items) {
      const o = item as Partial<K8sObject>;
      if (!o || typeof o !== 'object' || !o.kind || !o.metadata?.name) {
        throw new Error(
          `${source}: document ${i + 1} is not a Kubernetes object (needs kind and metadata.name)`,
        );
      }
      out.push(o as K8sObject);
    }
  });
  return out;
}
