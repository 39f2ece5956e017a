import yaml from 'js-yaml';

/**
 * YAML text of a value exactly as js-yaml's `dump` writes it with
 * DUMP_OPTIONS (keys sorted, no line folding: byte-stable across runs, which
 * GitOps diffs need), written by a smaller writer when it can be.
 *
 * Why a writer of our own: `manifest generate` is a short-lived process, so
 * js-yaml runs as cold, interpreted code there, and it examines every
 * string one character at a time through several small functions to pick a
 * scalar style. For the demo profile's 130 kB that was ~15 ms of a ~100 ms
 * command. This writer decides with a few regular expressions (native code,
 * fast from the first call), for the cases our objects are made of: maps,
 * lists, integers, booleans, null, and strings of printable ASCII (one-line
 * ones plain or single-quoted, multi-line ones as literal blocks). js-yaml
 * stays the reference: any other value (a tab, a non-ASCII character, a
 * float, a long key…) makes dumpYaml hand the whole value to js-yaml, and
 * test/unit/yaml/dump.test.ts compares the two on every profile's
 * objects and on thousands of generated values.
 */
export function dumpYaml(value: unknown): string {
  return writeYaml(value) ?? yaml.dump(value, DUMP_OPTIONS);
}

/** The text dumpYaml returns, written without js-yaml, or undefined when `value` needs js-yaml. */
export function writeYaml(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  try {
    return `${node(value, 0, true)}\n`;
  } catch (err) {
    if (err !== UNSUPPORTED) throw err;
    return undefined;
  }
}

/**
 * Text written ahead of time for subtrees that never change: Istio's CRD
 * specs, some 17,000 lines, are written at build time (scripts/istio-crds.ts)
 * by this very writer, and `manifest generate` pastes that text instead of
 * writing them again on every run (in a short-lived process that is most
 * of the output, written by code V8 has not optimised yet). Keyed by the
 * object, so a copy (an overlay's, a structuredClone) is written as usual.
 * The registered object must never be changed in place: renderers return
 * fresh objects and every later step (k8s settings, overlays, the applier)
 * copies before it changes anything. Freezing it instead would cost a walk
 * of 17,000 lines on every run, more than the text saves.
 */
const WRITTEN = new WeakMap<object, { level: number; text: string }>();

/**
 * Registers `text` as what this writer writes for `v` as a map value at
 * nesting `level` (see {@link writtenValueText}). For data fixed at build
 * time only; the caller guarantees the text is current
 * (test/unit/render/crds.test.ts checks it).
 */
export function registerWrittenText(v: object, level: number, text: string): void {
  WRITTEN.set(v, { level, text });
}

/**
 * The text this writer writes for the map `v` when it is the value of a key
 * of a top-level map (nesting level 1): what {@link registerWrittenText}
 * takes. Undefined when `v` needs js-yaml.
 */
export function writtenValueText(v: object): string | undefined {
  const body = writeYaml({ k: v })?.slice('k:'.length, -1);
  // A map with entries continues on new lines; `{}` would stay on the key's line.
  return body?.startsWith('\n') ? body : undefined;
}

const DUMP_OPTIONS: yaml.DumpOptions = { sortKeys: true, lineWidth: -1, noRefs: true };

/** Thrown (and caught in writeYaml) on anything this writer leaves to js-yaml. */
const UNSUPPORTED = new Error('left to js-yaml');

/** js-yaml's indentation per nesting level (its `indent` option, left at the default). */
const INDENT = 2;

/** One-line printable ASCII. */
const ONE_LINE = /^[\x20-\x7e]*$/;
/** Printable ASCII and line feeds. */
const MULTI_LINE = /^[\x20-\x7e\n]*$/;
/**
 * A one-line string js-yaml may write plain, as far as its characters go:
 * no indicator or space first, no space or colon last, no `: ` or ` #`.
 */
const PLAIN_CHARACTERS = /^(?![- ?:,[\]{}#&*!|=>'"%@`])(?!.*(?:: | #))(?:.*[^ :])?$/;
/** js-yaml quotes these (YAML 1.1 booleans and sexagesimal numbers) for older readers. */
const YAML11_WORDS = new Set('y Y yes Yes YES on On ON n N no No NO off Off OFF'.split(' '));
const YAML11_BASE60 = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;
/** The only strings starting with a letter that a YAML reader takes for something else. */
const LETTER_WORDS = new Set('null Null NULL true True TRUE false False FALSE'.split(' '));
/**
 * The types js-yaml's default schema reads plain scalars as (it quotes
 * strings that match one): its own resolvers, from its `types` export
 * (which @types/js-yaml does not declare).
 */
const { types } = yaml as unknown as { types: Record<string, yaml.Type> };
const IMPLICIT_TYPES = ['null', 'bool', 'int', 'float', 'timestamp', 'merge'].map((name) => {
  const t = types[name];
  if (!t) throw new Error(`js-yaml no longer exports its ${name} type`);
  return t;
});

/**
 * The text of a map or list at nesting `level` (js-yaml's levels: the top
 * value is 0, each map value or list item one deeper). `compact`: the first
 * entry continues the current line (a list item, the top), otherwise every
 * entry starts a new one.
 */
function node(v: object, level: number, compact: boolean): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    let out = '';
    for (const item of v) {
      if (!compact || out !== '') out += newLine(level);
      const text = value(item === undefined ? null : item, level + 1, true);
      out += text.charCodeAt(0) === 10 ? `-${text}` : `- ${text}`;
    }
    return out;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
    throw UNSUPPORTED;
  }
  if (!compact) {
    const written = WRITTEN.get(v);
    if (written?.level === level) return written.text;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 0) return '{}';
  keys.sort();
  let out = '';
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    const key = scalar(k, level + 1, true);
    if (key.length > 1024) throw UNSUPPORTED;
    const text = value(x, level + 1, false);
    out += `${!compact || out !== '' ? newLine(level) : ''}${key}${text.charCodeAt(0) === 10 ? ':' : ': '}${text}`;
  }
  return out || '{}';
}

/** The text of any value at `level`; `inList`: a list item (its map entries start on the dash's line). */
function value(v: unknown, level: number, inList: boolean): string {
  switch (typeof v) {
    case 'string':
      return scalar(v, level, false);
    case 'number':
      if (!Number.isInteger(v) || Object.is(v, -0)) throw UNSUPPORTED;
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return v === null ? 'null' : node(v, level, inList);
    default:
      throw UNSUPPORTED;
  }
}

/** A string as a plain, single-quoted or literal block scalar, as js-yaml's chooseScalarStyle picks. */
function scalar(s: string, level: number, isKey: boolean): string {
  if (s === '') return "''";
  if (ONE_LINE.test(s)) {
    if (YAML11_WORDS.has(s) || YAML11_BASE60.test(s)) return `'${s}'`;
    if (PLAIN_CHARACTERS.test(s) && !ambiguous(s)) return s;
    return `'${s.replace(/'/g, "''")}'`;
  }
  if (isKey || !MULTI_LINE.test(s)) throw UNSUPPORTED;
  return literalBlock(s, INDENT * Math.max(1, level));
}

/** Whether a plain `s` would read back as something other than a string (null, a number…). */
function ambiguous(s: string): boolean {
  const c = s.charCodeAt(0);
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return LETTER_WORDS.has(s);
  return IMPLICIT_TYPES.some((t) => t.resolve(s));
}

function newLine(level: number): string {
  return `\n${' '.repeat(INDENT * level)}`;
}

/**
 * The literal block scalar js-yaml writes for `s` at `indent`: `|`, an
 * indentation indicator when the text starts with a space (after any empty
 * lines), the chomping indicator for its trailing line breaks, then the
 * lines, each non-empty one indented, without the final line break (the
 * dumper adds its own).
 */
function literalBlock(s: string, indent: number): string {
  const indicator = /^\n* /.test(s) ? String(INDENT) : '';
  const clip = s.endsWith('\n');
  const keep = clip && (s.endsWith('\n\n') || s === '\n');
  const chomp = keep ? '+' : clip ? '' : '-';
  const body = s.replace(/^(?=[^\n])/gm, ' '.repeat(indent));
  return `|${indicator}${chomp}\n${clip ? body.slice(0, -1) : body}`;
}
