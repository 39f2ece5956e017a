import type { KubernetesObject } from '@kubernetes/client-node';
/**
 * Memoizes a pure function of one object by its identity. Between
 * reconciles the desired objects are the same objects (the render is
 * memoized: controller/desired.ts), so the answer for one (a 300 kB CRD
 * hashed) carries over. The object may not be changed in place, which holds
 * for rendered objects (see yaml/dump.ts registerWrittenText).
 */
export function memoByObject<A extends object, R>(fn: (a: A) => R): (a: A) => R {
  const memo = new WeakMap<A, { r: R }>();
  return (a) => {
    let hit = memo.get(a);
    if (!hit) memo.set(a, (hit = { r: fn(a) }));
    return hit.r;
  };
}

/**
 * What a live object's answer depends on when only its spec and metadata
 * count: for kinds whose spec changes raise `metadata.generation` (CRDs,
 * workloads), its uid, generation, labels and annotations, so status
 * updates (a CRD becoming Established, pods becoming ready: a dozen events
 * per rollout, each a new cached object) keep the answer; for every other
 * kind its resourceVersion.
 */
function specKey(live: KubernetesObject): string {
  const m = live.metadata ?? {};
  if (m.generation === undefined) return `${m.uid}@${m.resourceVersion}`;
  return `${m.uid}#${m.generation}#${JSON.stringify([m.labels, m.annotations])}`;
}

/**
 * Memoizes a function of a desired object and a live one that reads no
 * status of the live one: one answer kept per desired object, asked again
 * when the live object's {@link specKey} changes.
 */
export function memoBySpec<A extends object, R>(
  fn: (desired: A, live: KubernetesObject) => R,
): (desired: A, live: KubernetesObject) => R {
  const memo = new WeakMap<A, { key: string; r: R }>();
  return (desired, live) => {
    const key = specKey(live);
    let hit = memo.get(desired);
    if (!hit || hit.key !== key) memo.set(desired, (hit = { key, r: fn(desired, live) }));
    return hit.r;
  };
}
