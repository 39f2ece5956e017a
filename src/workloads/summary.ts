import type { ProxyState, RevisionWorkloads, StaleWorkload } from './stale.js';

/** How many stale workloads a status names; the rest are counted only (status stays small). */
export const FIRST_WORKLOADS = 5;

/** The status field an IstioOperator's revision reports about the proxies it should serve. */
export interface ProxiesStatus {
  revision: string;
  version: string;
  /** Pods its injector serves now. */
  pods: number;
  /** Of those, pods with another revision's proxy, another version, or none. */
  stalePods: number;
  /** Workloads with at least one stale pod. */
  staleWorkloads: number;
  /** The first {@link FIRST_WORKLOADS} of them, `<namespace>/<Kind>/<name>: <current> -> <wanted>`. */
  first: string[];
}

/** The condition beside it: is every served pod on the wanted proxy? */
export interface ProxiesCondition {
  type: 'ProxiesCurrent';
  status: 'True' | 'False';
  reason: 'AllCurrent' | 'NoWorkloads' | 'StaleProxies';
  message: string;
}

/** `1-27@1.27.0`, `default@1.27.1`; `none` for a pod with no proxy. */
export function proxyLabel(p: ProxyState): string {
  if (!p.revision) return 'none';
  return p.version ? `${p.revision}@${p.version}` : p.revision;
}

/** One line per stale workload, as status and the CLI name it. */
export function workloadLine(w: StaleWorkload): string {
  const now = w.current.map(proxyLabel).join(',');
  return `${w.namespace}/${w.kind}/${w.name}: ${now} -> ${proxyLabel(w.wanted)}`;
}

/**
 * The status field and condition of one revision's report. Deterministic
 * (no timestamps, workloads in the report's order) so that writing status
 * only when it differs stays quiet while nothing changes.
 */
export function proxiesStatus(r: RevisionWorkloads): {
  status: ProxiesStatus;
  condition: ProxiesCondition;
} {
  const status: ProxiesStatus = {
    revision: r.revision,
    version: r.version,
    pods: r.pods,
    stalePods: r.stalePods,
    staleWorkloads: r.workloads.length,
    first: r.workloads.slice(0, FIRST_WORKLOADS).map(workloadLine),
  };
  const wanted = proxyLabel({ revision: r.revision, version: r.version });
  let condition: ProxiesCondition;
  if (r.workloads.length > 0) {
    const more =
      r.workloads.length > FIRST_WORKLOADS
        ? `, and ${r.workloads.length - FIRST_WORKLOADS} more`
        : '';
    condition = {
      type: 'ProxiesCurrent',
      status: 'False',
      reason: 'StaleProxies',
      message: `${r.stalePods} of ${r.pods} pod(s) in ${r.workloads.length} workload(s) do not run ${wanted}: ${r.workloads
        .slice(0, FIRST_WORKLOADS)
        .map((w) => `${w.namespace}/${w.kind}/${w.name}`)
        .join(', ')}${more}; restart them to pick up the new proxy`,
    };
  } else if (r.pods === 0) {
    condition = {
      type: 'ProxiesCurrent',
      status: 'True',
      reason: 'NoWorkloads',
      message: `no injected pods are served by revision ${r.revision}`,
    };
  } else {
    condition = {
      type: 'ProxiesCurrent',
      status: 'True',
      reason: 'AllCurrent',
      message: `all ${r.pods} pod(s) served by revision ${r.revision} run ${wanted}`,
    };
  }
  return { status, condition };
}
