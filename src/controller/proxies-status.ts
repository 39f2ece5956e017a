import { isDeepStrictEqual } from 'node:util';
import type {
  Condition,
  IstioOperatorStatus,
  ProxiesStatus,
  RestartStatus,
  StaleWorkloadStatus,
} from '../api/types.js';
import type { RevisionWorkloads, StaleWorkload } from '../workloads/stale.js';
import { FIRST_WORKLOADS, proxyLabel } from '../workloads/summary.js';
import { setCondition } from './status.js';

/** How many stale workloads status lists by name; `istio-operator workloads` lists them all. */
export const LISTED_WORKLOADS = FIRST_WORKLOADS;

/** The condition the proxies loop owns. */
export const PROXIES_CONDITION = 'ProxiesCurrent';

/** One stale workload as status lists it. */
function listed(w: StaleWorkload): StaleWorkloadStatus {
  return {
    namespace: w.namespace,
    kind: w.kind,
    name: w.name,
    pods: w.pods,
    stalePods: w.stalePods,
    from: w.current.map(proxyLabel).join(','),
    to: proxyLabel(w.wanted),
  };
}

/** `status.proxies` from one revision's report and, when opted in, the restart's state. */
export function proxiesStatus(report: RevisionWorkloads, restart?: RestartStatus): ProxiesStatus {
  return {
    revision: report.revision,
    version: report.version,
    pods: report.pods,
    stalePods: report.stalePods,
    staleWorkloads: report.workloads.length,
    ...(report.workloads.length
      ? { workloads: report.workloads.slice(0, LISTED_WORKLOADS).map(listed) }
      : {}),
    ...(restart ? { restart } : {}),
  };
}

/**
 * The ProxiesCurrent condition: True when every pod the revision serves runs
 * its proxy; else why not and what brings it (the restart, or the opt-in).
 */
export function proxiesCondition(
  p: ProxiesStatus,
  generation: number,
): Omit<Condition, 'lastTransitionTime'> {
  const base = { type: PROXIES_CONDITION, observedGeneration: generation };
  if (p.stalePods === 0) {
    return {
      ...base,
      status: 'True',
      reason: 'Current',
      message: `all ${p.pods} pod(s) served by revision ${p.revision} run its proxy (${p.version})`,
    };
  }
  const what =
    `${p.stalePods} of ${p.pods} pod(s) in ${p.staleWorkloads} workload(s) do not run ` +
    `revision ${p.revision}'s proxy (${p.version})`;
  if (p.restart?.phase === 'Stopped') {
    return { ...base, status: 'False', reason: 'RestartStopped', message: p.restart.message };
  }
  if (p.restart && ['RollingOut', 'Paused', 'WaitingForControlPlane'].includes(p.restart.phase)) {
    return {
      ...base,
      status: 'False',
      reason: 'Restarting',
      message: `${what}; ${p.restart.message}`,
    };
  }
  return {
    ...base,
    status: 'False',
    reason: 'StaleProxies',
    message: p.restart
      ? `${what}; ${p.restart.message}`
      : `${what}: restart them (\`istio-operator workloads\` lists them), or let the operator ` +
        `do it with the annotation install.istio.io/restart-workloads`,
  };
}

/**
 * The status with `proxies` and its condition set, the rest as it is; the
 * same object when nothing changes, so the caller writes only on change.
 */
export function withProxies(
  status: IstioOperatorStatus | undefined,
  proxies: ProxiesStatus,
  generation: number,
  now: string,
): IstioOperatorStatus {
  const prev = status ?? {};
  const conditions = setCondition(
    prev.conditions ?? [],
    proxiesCondition(proxies, generation),
    now,
  );
  const next = { ...prev, proxies, conditions };
  return isDeepStrictEqual(prev, next) ? prev : next;
}

/** The status without the proxies loop's field and condition (an IstioOperator without Pilot). */
export function withoutProxies(status: IstioOperatorStatus | undefined): IstioOperatorStatus {
  const prev = status ?? {};
  if (!prev.proxies && !prev.conditions?.some((c) => c.type === PROXIES_CONDITION)) return prev;
  const rest = { ...prev };
  delete rest.proxies;
  return {
    ...rest,
    ...(prev.conditions
      ? { conditions: prev.conditions.filter((c) => c.type !== PROXIES_CONDITION) }
      : {}),
  };
}
