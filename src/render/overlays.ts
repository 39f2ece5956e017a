import type { OverlayInput } from '../translate/input.js';
import { clone } from '../translate/merge.js';
import { toJson } from '../translate/plan.js';
import { isJsonObject, type Json, type K8sObject } from './object.js';

/** An overlay that cannot be applied; the message names the overlay and the path. */
export class OverlayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverlayError';
  }
}

/** One step of an overlay path. */
export type PathStep =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'match'; field: string; value: string }
  | { kind: 'value'; pattern: string };

/**
 * Parses an overlay path: dot-separated keys, `[N]` a list index, `[k:v]`
 * the list element whose field k equals v, `[v]` the scalar list element
 * matching regular expression v. `\.` and `\:` escape a literal dot/colon.
 */
export function parsePath(path: string): PathStep[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && i + 1 < path.length) {
      cur += ch + path[++i]!;
      continue;
    }
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === '.' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts
    .filter((p) => p !== '')
    .map((p): PathStep => {
      if (p.startsWith('[') && p.endsWith(']')) {
        const inner = p.slice(1, -1);
        if (/^\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
        const colon = findUnescaped(inner, ':');
        if (colon >= 0) {
          return {
            kind: 'match',
            field: unescape(inner.slice(0, colon)),
            value: unescape(inner.slice(colon + 1)),
          };
        }
        return { kind: 'value', pattern: unescape(inner) };
      }
      return { kind: 'key', key: unescape(p) };
    });
}

function findUnescaped(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/**
 * Applies a component's overlays to its objects. Each overlay selects one
 * object by kind and name (the apiVersion is not compared, as in Istio
 * 1.27). An overlay that matches no object, or a patch whose path does not
 * lead anywhere, is an error naming the overlay — a silent no-op hides typos.
 * Patches with a value set it; patches without one delete the target.
 */
export function applyOverlays(
  objects: readonly K8sObject[],
  overlays: readonly OverlayInput[] | undefined,
  where: string,
): K8sObject[] {
  const out = [...objects];
  for (const [i, ov] of (overlays ?? []).entries()) {
    const label = `${where}.k8s.overlays[${i}] (${ov.kind ?? '?'}/${ov.name ?? '?'})`;
    const idx = out.findIndex((o) => o.kind === ov.kind && o.metadata.name === ov.name);
    if (idx < 0) {
      throw new OverlayError(
        `${label}: matches no rendered object of this component ` +
          '(check kind and name; `manifest generate --component` lists the objects)',
      );
    }
    let doc = clone(out[idx] as unknown as Json);
    for (const [j, p] of (ov.patches ?? []).entries()) {
      if (!p.path) throw new OverlayError(`${label}.patches[${j}]: path is empty`);
      doc = applyPatch(
        doc,
        parsePath(p.path),
        p.value === undefined ? undefined : toJson(p.value),
        {
          label: `${label}.patches[${j}] path "${p.path}"`,
        },
      );
    }
    out[idx] = doc as unknown as K8sObject;
  }
  return out;
}

/** Sets (or, with value undefined, deletes) the node at `steps` inside `doc`; returns the new doc. */
export function applyPatch(
  doc: Json,
  steps: PathStep[],
  value: Json | undefined,
  ctx: { label: string },
): Json {
  const [step, ...rest] = steps;
  if (!step) return value === undefined ? null : value;
  const fail = (why: string): never => {
    throw new OverlayError(`${ctx.label}: ${why}`);
  };
  if (step.kind === 'key') {
    const obj = isJsonObject(doc)
      ? { ...doc }
      : doc === null
        ? {}
        : fail(`"${step.key}" is not inside a map`);
    if (rest.length === 0) {
      if (value === undefined) delete obj[step.key];
      else obj[step.key] = value;
      return obj;
    }
    const child =
      obj[step.key] ?? (value === undefined ? fail(`"${step.key}" does not exist`) : null);
    obj[step.key] = applyPatch(child, rest, value, ctx);
    return obj;
  }
  const list = Array.isArray(doc)
    ? [...doc]
    : fail('a list selector used on something that is not a list');
  let i: number;
  if (step.kind === 'index') {
    i = step.index;
    if (i >= list.length) {
      if (value === undefined) fail(`index ${i} is past the end of the list`);
      if (rest.length === 0) return [...list, value as Json];
      return [...list, applyPatch(null, rest, value, ctx)];
    }
  } else if (step.kind === 'match') {
    i = list.findIndex((e) => isJsonObject(e) && scalar(e[step.field]) === step.value);
    if (i < 0) fail(`no list element has ${step.field}=${step.value}`);
  } else {
    const re = new RegExp(`^(?:${step.pattern})$`);
    i = list.findIndex((e) => typeof e !== 'object' && re.test(scalar(e)));
    if (i < 0) fail(`no list element matches ${step.pattern}`);
  }
  if (rest.length === 0) {
    if (value === undefined) list.splice(i, 1);
    else list[i] = value;
    return list;
  }
  list[i] = applyPatch(list[i] ?? null, rest, value, ctx);
  return list;
}

function scalar(v: Json | undefined): string {
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}
