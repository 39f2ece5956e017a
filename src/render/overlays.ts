import yaml from 'js-yaml';
import type { K8sObjectOverlay } from '../api/types.js';
import { clone, isJsonObject, toJson, type Json } from '../json/value.js';
import { type K8sObject } from './object.js';
import { formatPath, parsePath, type PathStep } from './overlay-path.js';

export { formatPath, parsePath, type PathStep } from './overlay-path.js';

/** An overlay that cannot be applied; the message names the overlay and the path. */
export class OverlayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OverlayError';
  }
}

/**
 * A patch's value as istioctl sets it: a string that reads as a YAML map
 * (`value: |` then `fieldRef: …`, or `"a: b"`) is that map; every other
 * value, strings that read as a list or a scalar included, is set as
 * written.
 */
export function patchValue(v: unknown): Json {
  if (typeof v === 'string' && v.includes(':')) {
    let parsed: unknown;
    try {
      parsed = yaml.load(v);
    } catch {
      return v;
    }
    if (isJsonObject(parsed)) return toJson(parsed);
  }
  return toJson(v);
}

/**
 * Applies a component's overlays to its objects. Each overlay selects one
 * object by kind and name (the apiVersion is not compared, as in Istio
 * 1.27). An overlay that matches no object, or a patch whose path does not
 * lead anywhere, is an error naming the overlay — a silent no-op hides typos.
 * Patches with a value set it; patches whose value is absent or null delete
 * the target (istioctl treats both as a delete; a null written into a
 * Kubernetes object would only clear the field at apply time, or be refused).
 */
export function applyOverlays(
  objects: readonly K8sObject[],
  overlays: readonly K8sObjectOverlay[] | undefined,
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
      const value = p.value === undefined || p.value === null ? undefined : patchValue(p.value);
      doc = applyPatch(doc, parsePath(p.path), value, {
        label: `${label}.patches[${j}] path "${p.path}"`,
      });
    }
    out[idx] = doc as unknown as K8sObject;
  }
  return out;
}

/**
 * Sets (or, with value undefined, deletes) the node at `steps` inside `doc`;
 * returns the new doc, leaving `doc` unmodified.
 *
 * Where a path is missing or wrong, compared with istioctl 1.27 (its overlay
 * code fetches the path creating missing maps, writes or deletes there, and
 * drops a patch that fails without reporting it):
 * - a set through missing keys creates them as maps (`spec.replicas.count`
 *   on a Deployment without `replicas` yields `replicas: {count: …}`, as
 *   istioctl's does, for the API server to refuse (`replicas` is an integer):
 *   without the schemas the renderer cannot tell a map field from a number);
 * - deleting a last key that is absent leaves the object unchanged and is
 *   not an error: the state the patch asks for already holds, and an
 *   overlay deleting a field that only some settings render (`spec.replicas`
 *   without autoscaling) must not fail for the others. The renderer has no
 *   channel for warnings (they are all produced before it, by profiles/),
 *   so this passes silently, as in istioctl. Deleting below an absent key
 *   stays an error ("does not exist"; istioctl leaves an empty map there).
 * - a step below a scalar or a list (`spec.replicas.count` when `replicas`
 *   is 2) is an error. istioctl drops such a patch without a word and keeps
 *   the object as it was; the patch cannot mean anything, so silently
 *   ignoring it would hide the mistake (the same reason as for an overlay
 *   that matches no object).
 */
export function applyPatch(
  doc: Json,
  steps: readonly PathStep[],
  value: Json | undefined,
  ctx: { label: string },
): Json {
  return patchAt(doc, steps, 0, value, ctx.label);
}

function patchAt(
  doc: Json,
  steps: readonly PathStep[],
  at: number,
  value: Json | undefined,
  label: string,
): Json {
  const step = steps[at];
  if (!step) return value === undefined ? null : value;
  const fail = (why: string): never => {
    throw new OverlayError(`${label}: ${why}`);
  };
  const last = at === steps.length - 1;
  const here = (): string => formatPath(steps.slice(0, at));
  if (step.kind === 'key') {
    if (!isJsonObject(doc) && doc !== null) fail(notAMap(step.key, here(), doc));
    const obj = isJsonObject(doc) ? { ...doc } : {};
    if (last) {
      // An absent key deletes as a no-op (see above).
      if (value === undefined) delete obj[step.key];
      else obj[step.key] = value;
      return obj;
    }
    const child =
      obj[step.key] ?? (value === undefined ? fail(`"${step.key}" does not exist`) : null);
    obj[step.key] = patchAt(child, steps, at + 1, value, label);
    return obj;
  }
  const list = Array.isArray(doc)
    ? [...doc]
    : fail(`a list selector used on something that is not a list: ${notAList(here(), doc)}`);
  let i: number;
  if (step.kind === 'index') {
    i = step.index;
    if (i >= list.length) {
      if (value === undefined) fail(`index ${i} is past the end of the list`);
      if (last) return [...list, value as Json];
      return [...list, patchAt(null, steps, at + 1, value, label)];
    }
  } else if (step.kind === 'match') {
    i = list.findIndex((e) => isJsonObject(e) && scalar(e[step.field]) === step.value);
    if (i < 0) fail(`no list element has ${step.field}=${step.value}`);
  } else {
    const re = new RegExp(`^(?:${step.pattern})$`);
    i = list.findIndex((e) => typeof e !== 'object' && re.test(scalar(e)));
    if (i < 0) fail(`no list element matches ${step.pattern}`);
  }
  if (last) {
    if (value === undefined) list.splice(i, 1);
    else list[i] = value;
    return list;
  }
  list[i] = patchAt(list[i] ?? null, steps, at + 1, value, label);
  return list;
}

/** Why `key` cannot be reached under `parent` (a scalar or a list), and the fix. */
function notAMap(key: string, parent: string, node: Json): string {
  if (Array.isArray(node)) {
    return (
      `"${key}" is not inside a map: "${parent}" holds a list ` +
      `(istioctl 1.27 ignores this patch silently); ` +
      `fix: select an element first, e.g. "${parent}.[0].${key}" or "${parent}.[name:…].${key}"`
    );
  }
  return (
    `"${key}" is not inside a map: "${parent}" holds ${describe(node)}, which has no fields ` +
    `(istioctl 1.27 ignores this patch silently); ` +
    `fix: patch "${parent}" itself, or correct the path`
  );
}

/** What a list selector met instead of a list, and the fix. */
function notAList(parent: string, node: Json): string {
  if (node === null) {
    return (
      `"${parent}" does not exist; ` +
      `fix: create it first with a patch on "${parent}" whose value is a list`
    );
  }
  return `"${parent}" holds ${describe(node)}; fix: correct the path`;
}

function describe(node: Json): string {
  if (isJsonObject(node)) return 'a map';
  if (Array.isArray(node)) return 'a list';
  const text = JSON.stringify(node);
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `a ${node === null ? 'null' : typeof node} (${shown})`;
}

function scalar(v: Json | undefined): string {
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}
