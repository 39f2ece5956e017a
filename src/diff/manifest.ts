import type { Json } from '../json/value.js';
import type { K8sObject } from '../render/object.js';
import { diffJson, type FieldChange } from './fields.js';

/** Object-level diff of two manifests. */
export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: { key: string; fields: FieldChange[] }[];
}

/** `apiVersion kind namespace/name`: how the diff identifies an object. */
export function diffKey(o: K8sObject): string {
  const ns = o.metadata.namespace ? `${o.metadata.namespace}/` : '';
  return `${o.kind} ${ns}${o.metadata.name}`;
}

/** Compares two manifests object by object, then field by field. */
export function diffManifests(a: readonly K8sObject[], b: readonly K8sObject[]): ManifestDiff {
  const am = new Map(a.map((o) => [diffKey(o), o]));
  const bm = new Map(b.map((o) => [diffKey(o), o]));
  const result: ManifestDiff = { added: [], removed: [], changed: [] };
  for (const k of [...am.keys()].sort()) if (!bm.has(k)) result.removed.push(k);
  for (const k of [...bm.keys()].sort()) if (!am.has(k)) result.added.push(k);
  for (const k of [...am.keys()].sort()) {
    const other = bm.get(k);
    if (!other) continue;
    const fields = diffJson(am.get(k) as unknown as Json, other as unknown as Json);
    if (fields.length) result.changed.push({ key: k, fields });
  }
  return result;
}

/** Human-readable text of a diff: `+` added, `-` removed, `~` changed with one line per field. */
export function formatDiff(d: ManifestDiff): string {
  const lines: string[] = [];
  for (const k of d.removed) lines.push(`- ${k}`);
  for (const k of d.added) lines.push(`+ ${k}`);
  const show = (v: Json | undefined) => (v === undefined ? '<absent>' : JSON.stringify(v));
  for (const c of d.changed) {
    lines.push(`~ ${c.key}`);
    for (const f of c.fields) lines.push(`    ${f.path}: ${show(f.before)} -> ${show(f.after)}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
