/**
 * Memoizes a pure function of two objects by their identities. Between
 * reconciles the desired objects are the same objects (the render is
 * memoized: controller/desired.ts) and a live object stays the same object
 * in the caches until it changes, so the answers of the applier's costliest
 * questions about a pair (a CRD's schemas compared, a 300 kB CRD hashed and
 * compared with the live one) carry over until one side changes. Neither
 * object may be changed in place, which holds for rendered objects (see
 * render/yaml-text.ts registerWrittenText) and for cached ones.
 */
export function memoByPair<A extends object, B extends object, R>(
  fn: (a: A, b: B) => R,
): (a: A, b: B) => R {
  const byA = new WeakMap<A, WeakMap<B, { r: R }>>();
  return (a, b) => {
    let byB = byA.get(a);
    if (!byB) byA.set(a, (byB = new WeakMap()));
    let hit = byB.get(b);
    if (!hit) byB.set(b, (hit = { r: fn(a, b) }));
    return hit.r;
  };
}

/** Memoizes a pure function of one object by its identity (see {@link memoByPair}). */
export function memoByObject<A extends object, R>(fn: (a: A) => R): (a: A) => R {
  const memo = new WeakMap<A, { r: R }>();
  return (a) => {
    let hit = memo.get(a);
    if (!hit) memo.set(a, (hit = { r: fn(a) }));
    return hit.r;
  };
}
