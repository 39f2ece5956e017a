/**
 * Whether the live object already holds everything we would apply.
 *
 * Server-side apply of an unchanged object still costs a PATCH request, and
 * the steady state must issue no writes, so before applying we check that
 * every field we set is already there with the same value. Fields the
 * server adds (defaults, status, metadata bookkeeping) do not matter: this is
 * a subset test, not equality. Lists must match element by element (same
 * length), each element again as a subset, because defaults are added inside
 * elements (a container's terminationMessagePath, a port's protocol).
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (desired === null || live === null || desired === undefined || live === undefined) {
    return false;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => isSubset(d, live[i]));
  }
  if (typeof desired === 'object') {
    if (typeof live !== 'object' || Array.isArray(live)) return false;
    const l = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(([k, v]) =>
      // The server drops zero values of `omitempty` fields ("", 0, false, {}, []):
      // absent live is what we asked for, not drift.
      isZero(v) && l[k] === undefined ? true : isSubset(v, l[k]),
    );
  }
  if (typeof desired === 'number' && typeof live === 'string') return String(desired) === live;
  // The server canonicalizes resource quantities ("2048Mi" reads back as "2Gi").
  if (typeof desired === 'string' && typeof live === 'string') {
    const a = parseQuantity(desired);
    return a !== undefined && a === parseQuantity(live);
  }
  return false;
}

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes resource quantity ("500m", "2Gi", "1e3"), or undefined if it is not one. */
export function parseQuantity(q: string): number | undefined {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(
    q,
  );
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  // Round away floating-point noise so "0.5" and "500m" compare equal.
  return Number((base * SUFFIX[m[3] ?? '']!).toPrecision(12));
}

function isZero(v: unknown): boolean {
  if (v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

/** The paths (dotted) where `desired` is not a subset of `live`, for logs and events; at most `max`. */
export function subsetDifferences(desired: unknown, live: unknown, max = 5, path = ''): string[] {
  if (isSubset(desired, live)) return [];
  if (
    desired !== null &&
    typeof desired === 'object' &&
    live !== null &&
    typeof live === 'object' &&
    Array.isArray(desired) === Array.isArray(live) &&
    (!Array.isArray(desired) || (desired as unknown[]).length === (live as unknown[]).length)
  ) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(desired as Record<string, unknown>)) {
      if (out.length >= max) break;
      out.push(
        ...subsetDifferences(
          v,
          (live as Record<string, unknown>)[k],
          max - out.length,
          path ? `${path}.${k}` : k,
        ),
      );
    }
    return out;
  }
  return [path || '(root)'];
}
