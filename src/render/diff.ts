import yaml from 'js-yaml';
import { type K8sObject } from './object.js';
import { isJsonObject, type Json } from '../json/value.js';

/** One changed field of an object present on both sides. */
export interface FieldChange {
  /** Dotted path; list elements as `[i]`, or `[name=x]` when elements have names. */
  path: string;
  before?: Json;
  after?: Json;
}

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

/**
 * Field-level differences between two JSON values: maps by key, lists of
 * uniquely named elements by name, other equal-length lists by index;
 * anything else that differs is one change at its path.
 */
export function diffJson(a: Json | undefined, b: Json | undefined): FieldChange[] {
  const out: FieldChange[] = [];
  diffValues(a, b, '', out);
  return out;
}

function named(list: Json[]): boolean {
  const names = list.map((e) =>
    isJsonObject(e) && typeof e.name === 'string' ? e.name : undefined,
  );
  return names.every((n) => n !== undefined) && new Set(names).size === names.length;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function diffValues(
  a: Json | undefined,
  b: Json | undefined,
  path: string,
  out: FieldChange[],
): void {
  if (isJsonObject(a ?? null) && isJsonObject(b ?? null)) {
    const ao = a as Record<string, Json>;
    const bo = b as Record<string, Json>;
    for (const k of [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()) {
      diffValues(ao[k], bo[k], join(path, k), out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (named(a) && named(b)) {
      const byName = (l: Json[]) => new Map(l.map((e) => [(e as { name: string }).name, e]));
      const an = byName(a);
      const bn = byName(b);
      for (const n of [...new Set([...an.keys(), ...bn.keys()])]) {
        diffValues(an.get(n), bn.get(n), `${path}[name=${n}]`, out);
      }
      return;
    }
    if (a.length === b.length) {
      a.forEach((x, i) => diffValues(x, b[i], `${path}[${i}]`, out));
      return;
    }
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push({
      path,
      ...(a !== undefined ? { before: a } : {}),
      ...(b !== undefined ? { after: b } : {}),
    });
  }
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
