import type { ComponentName } from '../translate/plan.js';

/**
 * Which components must be applied (and, for CRDs, established) before a
 * component: Base first (CRDs, shared RBAC), then Pilot, then the parts that
 * need istiod; ztunnel needs the CNI node agent.
 */
const DEPENDS_ON: Record<ComponentName, readonly ComponentName[]> = {
  Base: [],
  Pilot: ['Base'],
  Cni: ['Pilot'],
  IngressGateways: ['Pilot'],
  EgressGateways: ['Pilot'],
  Ztunnel: ['Cni'],
};

/**
 * Groups the present components into waves that can be applied in
 * parallel, each wave after the ones it depends on. A dependency that is not
 * present (disabled, or owned by another IstioOperator) does not hold a
 * component back: in the split layout, a gateway-only IstioOperator has no
 * Pilot of its own.
 */
export function applyWaves(present: readonly ComponentName[]): ComponentName[][] {
  const have = new Set(present);
  const level = new Map<ComponentName, number>();
  const depth = (c: ComponentName): number => {
    const known = level.get(c);
    if (known !== undefined) return known;
    const deps = DEPENDS_ON[c].filter((d) => have.has(d));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depth));
    level.set(c, d);
    return d;
  };
  const waves: ComponentName[][] = [];
  for (const c of present) (waves[depth(c)] ??= []).push(c);
  return waves.filter((w) => w && w.length > 0);
}

/**
 * The present components that `c` transitively depends on: when one of them
 * failed, `c` is not applied this round.
 */
export function presentDependencies(
  c: ComponentName,
  present: readonly ComponentName[],
): ComponentName[] {
  const have = new Set(present);
  const out = new Set<ComponentName>();
  const walk = (x: ComponentName) => {
    for (const d of DEPENDS_ON[x]) {
      if (have.has(d) && !out.has(d)) {
        out.add(d);
        walk(d);
      } else if (!have.has(d)) walk(d);
    }
  };
  walk(c);
  return [...out];
}
