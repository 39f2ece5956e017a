import type { JsonObject } from '../api/types.js';
import { isObject } from '../json/value.js';

/** One step of a `--set` path: a map key, a list index, or a list element selected by a field. */
export type PathSegment =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'select'; field: string; value: string };

/** A parsed `--set PATH=VALUE` flag. */
export interface SetFlag {
  /** The flag as the user wrote it, for messages. */
  raw: string;
  /** The path as written (left of the first `=`), relative to `spec`. */
  path: string;
  segments: PathSegment[];
  value: unknown;
}

/** A `--set` flag that cannot be parsed or applied; the message names the flag and the fix. */
export class SetFlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetFlagError';
  }
}

// Paths whose values stay strings even when they look like numbers, so that
// `--set tag=1.27` does not become the float 1.27.
const ALWAYS_STRING_PATHS = new Set([
  'tag',
  'values.global.tag',
  'compatibilityVersion',
  'values.compatibilityVersion',
]);
const ALWAYS_STRING_INFIX = 'meshConfig.defaultConfig.proxyMetadata.';

// The spellings Go's strconv.ParseBool accepts (0 and 1 are ints first).
const TRUE_WORDS = new Set(['t', 'T', 'true', 'TRUE', 'True']);
const FALSE_WORDS = new Set(['f', 'F', 'false', 'FALSE', 'False']);

/**
 * Types a `--set` value as istioctl does: an integer, else a float, else a
 * boolean, else a string (`\,` becomes a literal comma). Paths in
 * ALWAYS_STRING_PATHS and everything under `…meshConfig.defaultConfig.proxyMetadata.`
 * stay strings.
 */
export function typeSetValue(path: string, raw: string): unknown {
  const text = raw.replace(/\\,/g, ',');
  if (ALWAYS_STRING_PATHS.has(path) || path.includes(ALWAYS_STRING_INFIX)) return text;
  if (/^[-+]?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  return text;
}

/**
 * Splits a `--set` path into segments. Dots separate keys, `\.` is a literal
 * dot inside a key (`values.pilot.podAnnotations.example\.com/x`), `[N]` is a
 * list index and `[field:value]` selects the list element whose `field`
 * equals `value`; brackets may follow a key directly or stand alone after a
 * dot (`ingressGateways[0]`, `ingressGateways.[name:foo]`).
 */
export function parseSetPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let key = '';
  let keyStarted = false;
  const flushKey = () => {
    if (keyStarted) segments.push({ kind: 'key', key });
    key = '';
    keyStarted = false;
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\' && (path[i + 1] === '.' || path[i + 1] === '[' || path[i + 1] === ']')) {
      key += path[i + 1];
      keyStarted = true;
      i++;
    } else if (c === '.') {
      if (!keyStarted && (segments.length === 0 || path[i - 1] === '.')) {
        throw new SetFlagError(`path "${path}" has an empty key at position ${i + 1}`);
      }
      flushKey();
    } else if (c === '[') {
      flushKey();
      const end = path.indexOf(']', i);
      if (end < 0) throw new SetFlagError(`path "${path}" has "[" without a closing "]"`);
      const inner = path.slice(i + 1, end);
      const colon = inner.indexOf(':');
      if (/^\d+$/.test(inner)) {
        segments.push({ kind: 'index', index: Number(inner) });
      } else if (colon > 0) {
        segments.push({
          kind: 'select',
          field: inner.slice(0, colon),
          value: inner.slice(colon + 1).replace(/\\:/g, ':'),
        });
      } else {
        throw new SetFlagError(
          `path "${path}": "[${inner}]" is neither a list index [N] nor a selector [field:value]`,
        );
      }
      i = end;
    } else {
      key += c;
      keyStarted = true;
    }
  }
  flushKey();
  if (segments.length === 0) throw new SetFlagError(`path "${path}" is empty`);
  return segments;
}

/** Parses one `PATH=VALUE` flag (the path is relative to `spec`). */
export function parseSetFlag(raw: string): SetFlag {
  const eq = raw.indexOf('=');
  if (eq <= 0) {
    throw new SetFlagError(
      `--set "${raw}" has incorrect format, must be path=value (for example --set values.global.logAsJson=true)`,
    );
  }
  const path = raw.slice(0, eq);
  return { raw, path, segments: parseSetPath(path), value: typeSetValue(path, raw.slice(eq + 1)) };
}

function describe(segments: PathSegment[], upto: number): string {
  return segments
    .slice(0, upto)
    .map((s, i) =>
      s.kind === 'key'
        ? `${i === 0 ? '' : '.'}${s.key}`
        : s.kind === 'index'
          ? `[${s.index}]`
          : `[${s.field}:${s.value}]`,
    )
    .join('');
}

/**
 * Sets `flag.value` at `flag.segments` inside `tree`, in place, creating maps
 * and lists on the way. An index past the end of a list appends; a
 * `[field:value]` selector must match an existing element.
 */
export function applySetFlag(tree: JsonObject, flag: SetFlag): void {
  const segs = flag.segments;
  let node: unknown = tree;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    const next = segs[i + 1];
    const fresh = (): unknown => (next?.kind === 'key' ? {} : []);
    if (seg.kind === 'key') {
      if (!isObject(node)) {
        throw new SetFlagError(
          `--set ${flag.raw}: ${describe(segs, i)} is a ${Array.isArray(node) ? 'list' : 'value'}, not a map; cannot set key "${seg.key}"`,
        );
      }
      if (last) {
        node[seg.key] = flag.value;
        return;
      }
      const child = node[seg.key];
      if (child === undefined || child === null || (!isObject(child) && !Array.isArray(child))) {
        node[seg.key] = fresh();
      }
      node = node[seg.key];
      continue;
    }
    if (!Array.isArray(node)) {
      throw new SetFlagError(
        `--set ${flag.raw}: ${describe(segs, i)} is not a list; use [N] or [field:value] only on lists`,
      );
    }
    const list = node as unknown[];
    let at: number;
    if (seg.kind === 'index') {
      at = Math.min(seg.index, list.length);
    } else {
      at = list.findIndex((e) => isObject(e) && String(e[seg.field]) === seg.value);
      if (at < 0) {
        throw new SetFlagError(
          `--set ${flag.raw}: element [${seg.field}:${seg.value}] not found in ${describe(segs, i)} (it has ${list.length} element${list.length === 1 ? '' : 's'}); select an existing element or use an index [N]`,
        );
      }
    }
    if (last) {
      list[at] = flag.value;
      return;
    }
    const child = list[at];
    if (child === undefined || child === null || (!isObject(child) && !Array.isArray(child))) {
      list[at] = fresh();
    }
    node = list[at];
  }
}
