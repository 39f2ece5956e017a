/**
 * YAML text of a JSON value as Helm's `toYaml` writes it: sigs.k8s.io/yaml,
 * which marshals to JSON and re-emits it with go-yaml v2. Istio's charts
 * write the mesh configuration (`ConfigMap istio`, key `mesh`) this way, and
 * that key is plain text to Kubernetes: written in js-yaml's style it would
 * mean the same to istiod, yet every take-over of an istioctl install would
 * rewrite it (and make istiod reload its mesh). So the text is the contract.
 *
 * go-yaml v2's rules, as implemented here:
 * - map keys in its "natural" order: runs of digits compare as numbers,
 *   non-letters sort before letters, otherwise by code point;
 * - a block sequence inside a mapping is not indented (`key:\n- a`);
 * - empty maps and lists in flow style (`{}`, `[]`);
 * - a string is plain unless it would read back as another type (YAML 1.1
 *   booleans such as `yes`/`on`, null, numbers, timestamps, base-60 floats:
 *   then double-quoted) or the emitter refuses it as plain (indicators,
 *   `: `, ` #`, surrounding spaces: then single-quoted); multi-line strings
 *   are literal blocks (`|`, `|-`, `|+`);
 * - plain and quoted scalars longer than 80 columns are folded at a space,
 *   as the emitter does with its default width.
 * Values the charts never produce (strings with control characters,
 * multi-line keys, floats beyond 1e21) are refused rather than guessed.
 */

const WIDTH = 80;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `value` as Helm's `toYaml` writes it (with its trailing newline). */
export function goYaml(value: unknown): string {
  const out: string[] = [];
  if (isMap(value) && Object.keys(value).length > 0) writeMap(value, 0, out);
  else if (Array.isArray(value) && value.length > 0) writeSeq(value as Json[], 0, out);
  else out.push(scalarOrEmpty(value as Json, 0));
  return `${out.join('\n')}\n`;
}

function isMap(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** go-yaml v2's key order (keyList.Less) for string keys. */
export function goKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]! < br[i]!;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]! < br[i]!;
  }
  return ar.length < br.length;
}

const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * The keys in go-yaml's order. Its comparison is not transitive for some
 * keys with digit runs ("1*0" < "09" < "0é" < "1*0"), so the order is Go's
 * sort.Sort's own: an insertion sort for up to 12 keys, as Go does; longer
 * maps are sorted by JS (the same result whenever the comparison is
 * consistent, which it is for the identifiers the charts use).
 */
function sortedKeys(m: Record<string, Json>): string[] {
  const keys = Object.keys(m);
  if (keys.length > 12) {
    return keys.sort((a, b) => (goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0));
  }
  for (let i = 1; i < keys.length; i++) {
    for (let j = i; j > 0 && goKeyLess(keys[j]!, keys[j - 1]!); j--) {
      [keys[j - 1], keys[j]] = [keys[j]!, keys[j - 1]!];
    }
  }
  return keys;
}

const pad = (n: number) => ' '.repeat(n);

function writeMap(m: Record<string, Json>, indent: number, out: string[], first?: string): void {
  let lead = first;
  for (const k of sortedKeys(m)) {
    const key = keyText(k);
    const prefix = lead ?? pad(indent);
    lead = undefined;
    const v = m[k]!;
    if (isMap(v) && Object.keys(v).length > 0) {
      out.push(`${prefix}${key}:`);
      writeMap(v, indent + 2, out);
    } else if (Array.isArray(v) && v.length > 0) {
      out.push(`${prefix}${key}:`);
      // Not indented inside a mapping.
      writeSeq(v, indent, out);
    } else {
      const col = prefix.length + key.length + 2;
      out.push(`${prefix}${key}: ${valueText(v, indent + 2, col)}`);
    }
  }
}

function writeSeq(items: Json[], indent: number, out: string[]): void {
  for (const item of items) {
    const prefix = `${pad(indent)}- `;
    if (isMap(item) && Object.keys(item).length > 0) {
      writeMap(item, indent + 2, out, prefix);
    } else if (Array.isArray(item) && item.length > 0) {
      // A sequence in a sequence starts on the dash's line: `- - a`.
      const inner: string[] = [];
      writeSeq(item, indent + 2, inner);
      out.push(prefix + inner[0]!.slice(indent + 2), ...inner.slice(1));
    } else {
      out.push(`${prefix}${valueText(item, indent + 2, prefix.length)}`);
    }
  }
}

function scalarOrEmpty(v: Json, indent: number): string {
  return valueText(v, indent, 0);
}

/** A scalar or empty collection in a value position starting at column `col`. */
function valueText(v: Json, indent: number, col: number): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return '[]';
  if (isMap(v)) return '{}';
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return numberText(v);
  return stringText(v, indent, col);
}

/** A number as go-yaml writes the value JSON decoding produced (an int when integral). */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '.nan' : n > 0 ? '.inf' : '-.inf';
  // Go's JSON writes an integral float64 with its shortest digits (as JS
  // does below 1e21), and go-yaml reads that back as an integer while int64
  // or uint64 holds it.
  if (Number.isInteger(n) && Math.abs(n) < 1e21) {
    const text = String(n);
    const v = BigInt(text);
    if (v >= -(2n ** 63n) && v < 2n ** 64n) return text;
  }
  // Else a float64, as strconv.FormatFloat(f, 'g', -1, 64) writes it: the
  // shortest digits (as JS's), in exponent form when the exponent is below
  // -4 or from 6 on, with two exponent digits at least.
  const [m, e] = n.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

const BOOL_OR_NULL = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE',
  'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF',
  '-.inf', '-.Inf', '-.INF',
]); // prettier-ignore

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,9})?(?:Z|[-+][0-9]{2}:[0-9]{2})?)?$/;

/** Whether go-yaml v2 reads the plain scalar `s` back as something other than a string. */
export function resolvesAsNonString(s: string): boolean {
  if (BOOL_OR_NULL.has(s)) return true;
  const c = s[0]!;
  // strconv.ParseFloat on what starts with a dot.
  if (c === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s.replace(/_/g, '')) && underscoreOk(s);
  if (!/[-+0-9]/.test(c)) return false;
  if (isDigit(c) && TIMESTAMP.test(s)) return true;
  const plain = s.replace(/_/g, '');
  if (isGoInt(plain)) return true;
  if (YAML_FLOAT.test(plain)) return true;
  if (/^0b[-+]?[01]+$|^-0b[01]+$/.test(plain)) return true;
  return BASE60_FLOAT.test(s);
}

/** Go's strconv underscoreOK: underscores only between digits (or after a base prefix). */
function underscoreOk(s: string): boolean {
  let saw = '^';
  const t = s.replace(/^[-+]/, '');
  let hex = false;
  let i = 0;
  if (/^0[bBoOxX]/.test(t)) {
    i = 2;
    saw = '0';
    hex = /^0[xX]/.test(t);
  }
  for (; i < t.length; i++) {
    const ch = t[i]!;
    if (isDigit(ch) || (hex && /[a-fA-F]/.test(ch))) {
      saw = '0';
      continue;
    }
    if (ch === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseInt(s, 0, 64) or ParseUint succeeding (decimal, 0x, 0o, 0b, leading-0 octal). */
function isGoInt(s: string): boolean {
  const m = /^[-+]?(.*)$/.exec(s)!;
  const body = m[1]!;
  if (/^[1-9][0-9]*$|^0$/.test(body)) return fitsInt(s, 10);
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) return fitsInt(s, 16);
  if (/^0[oO]?[0-7]+$/.test(body)) return fitsInt(s, 8);
  if (/^0[bB][01]+$/.test(body)) return fitsInt(s, 2);
  return false;
}

function fitsInt(s: string, base: number): boolean {
  const neg = s.startsWith('-');
  let digits = s.replace(/^[-+]/, '');
  if (base !== 10) digits = digits.replace(/^0[xXoObB]?/, '') || '0';
  let v = 0n;
  for (const ch of digits.toLowerCase()) v = v * BigInt(base) + BigInt(parseInt(ch, base));
  return neg ? v <= 2n ** 63n : v < 2n ** 64n;
}

interface Analysis {
  blockPlain: boolean;
  singleQuoted: boolean;
  blockAllowed: boolean;
}

/** libyaml's yaml_emitter_analyze_scalar, for the block context. */
function analyze(s: string): Analysis {
  let block = false;
  let leadingSpace = false;
  let trailingSpace = false;
  let breakSpace = false;
  let spaceBreak = false;
  let special = false;
  let lineBreaks = false;
  let leadingBreak = false;
  let trailingBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (s.startsWith('---') || s.startsWith('...')) block = true;
  const chars = [...s];
  let precededByWhitespace = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || /[ \t\r\n]/.test(next);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) block = true;
      if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) block = true;
    } else {
      if (c === ':' && followedByWhitespace) block = true;
      if (c === '#' && precededByWhitespace) block = true;
    }
    const code = c.codePointAt(0)!;
    const printable =
      code === 0x0a ||
      (code >= 0x20 && code <= 0x7e) ||
      code === 0x85 ||
      (code >= 0xa0 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff) ||
      code >= 0x10000;
    if (!printable) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (c === '\n') {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = /[ \t\r\n]/.test(c);
  }
  let blockPlain = true;
  let singleQuoted = true;
  let blockAllowed = !trailingSpace;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (breakSpace) {
    blockPlain = false;
    singleQuoted = false;
  }
  if (spaceBreak || special) {
    blockPlain = false;
    singleQuoted = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlain = false;
  if (block) blockPlain = false;
  return { blockPlain, singleQuoted, blockAllowed };
}

type Style = 'plain' | 'single' | 'double' | 'literal';

function styleOf(s: string, isKey: boolean): Style {
  let style: Style;
  if (s.includes('\n')) style = 'literal';
  else if (!resolvesAsNonString(s)) style = 'plain';
  else style = 'double';
  const a = analyze(s);
  if (style === 'literal' && (isKey || !a.blockAllowed)) style = 'double';
  if (style === 'plain') {
    if (!a.blockPlain) style = 'single';
    if (s.length === 0 && isKey) style = 'single';
  }
  if (style === 'single' && !a.singleQuoted) style = 'double';
  return style;
}

function keyText(k: string): string {
  if (k.includes('\n')) throw new Error('goYaml: multi-line keys are not written by the charts');
  const style = styleOf(k, true);
  if (style === 'plain') return k;
  if (style === 'single') return `'${k.replace(/'/g, "''")}'`;
  return doubleQuoted(k, Infinity, 0, 0);
}

function stringText(s: string, indent: number, col: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\u0000-\u0008\u000b-\u001f\u007f\u0085\u2028\u2029\ufeff]/.test(s)) {
    throw new Error('goYaml: strings with control characters are not written by the charts');
  }
  switch (styleOf(s, false)) {
    case 'plain':
      return folded(s, indent, col, false);
    case 'single':
      return `'${folded(s.replace(/'/g, "''"), indent, col + 1, true)}'`;
    case 'double':
      return doubleQuoted(s, WIDTH, indent, col);
    case 'literal':
      return literal(s, indent);
  }
}

/**
 * A plain or single-quoted scalar folded as the emitter does: at a space,
 * once the column passes the width, when the next character is no space
 * (single-quoted: not at the first or last character).
 */
function folded(s: string, indent: number, col: number, quoted: boolean): string {
  let out = '';
  let column = col;
  let spaces = false;
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ' ') {
      const inner = !quoted || (i > 0 && i < chars.length - 1);
      if (!spaces && column > WIDTH && chars[i + 1] !== ' ' && inner) {
        out += `\n${pad(indent)}`;
        column = indent;
      } else {
        out += c;
        column++;
      }
      spaces = true;
    } else {
      out += c;
      column++;
      spaces = false;
    }
  }
  return out;
}

/** The escapes the emitter writes in a double-quoted scalar (control characters are refused before). */
const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

function doubleQuoted(s: string, width: number, indent: number, col: number): string {
  let out = '"';
  let column = col + 1;
  let spaces = false;
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ' ') {
      if (!spaces && column > width && i > 0 && i < chars.length - 1) {
        out += `\n${pad(indent)}`;
        column = indent;
        if (chars[i + 1] === ' ') {
          out += '\\';
          column++;
        }
      } else {
        out += c;
        column++;
      }
      spaces = true;
      continue;
    }
    spaces = false;
    const esc = ESCAPES[c] ?? c;
    out += esc;
    column += esc.length;
  }
  return `${out}"`;
}

function literal(s: string, indent: number): string {
  const trailing = /\n*$/.exec(s)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 && s.length > 1 ? '' : '+';
  const indicator = s.startsWith(' ') || s.startsWith('\n') ? '2' : '';
  const body = trailing === 0 ? s : s.slice(0, -1);
  const lines = body.split('\n').map((l) => (l === '' ? '' : pad(indent) + l));
  return `|${indicator}${chomp}\n${lines.join('\n')}`;
}
