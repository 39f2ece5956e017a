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
      // An empty object or list we set may be dropped by the server; that is not drift.
      isEmpty(v) && l[k] === undefined ? true : isSubset(v, l[k]),
    );
  }
  if (typeof desired === 'number' && typeof live === 'string') return String(desired) === live;
  return false;
}

function isEmpty(v: unknown): boolean {
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
