import { isJsonObject, type Json } from '../json/value.js';

/** One changed field of an object present on both sides. */
export interface FieldChange {
  /** Dotted path; list elements as `[i]`, or `[name=x]` when elements have names. */
  path: string;
  before?: Json;
  after?: Json;
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
