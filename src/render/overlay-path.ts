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

/**
 * Writes steps back in the path grammar, so that an error can name the
 * part of the user's path where a patch went wrong (`spec.replicas` in
 * `spec.replicas.count`), in the spelling the user can paste back.
 */
export function formatPath(steps: readonly PathStep[]): string {
  return steps
    .map((s) => {
      switch (s.kind) {
        case 'key':
          return escape(s.key, /[.[\]\\]/g);
        case 'index':
          return `[${s.index}]`;
        case 'match':
          return `[${escape(s.field, /[:\\]/g)}:${escape(s.value, /[:\\]/g)}]`;
        case 'value':
          return `[${s.pattern}]`;
      }
    })
    .join('.');
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

function escape(s: string, special: RegExp): string {
  return s.replace(special, (c) => `\\${c}`);
}
