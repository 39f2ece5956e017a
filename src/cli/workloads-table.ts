import type { IopWorkloads } from '../controller/workloads-scan.js';
import { proxyLabel } from '../workloads/summary.js';
import { table } from './status-table.js';

/** One stale workload of one IstioOperator, as `workloads -o json|yaml` prints it. */
export interface WorkloadRow {
  istioOperator: string;
  namespace: string;
  kind: string;
  workload: string;
  /** `<stale>/<served>` pods. */
  pods: string;
  currentRevision: string;
  wantedRevision: string;
  currentVersion: string;
  wantedVersion: string;
}

/** The rows of every stale workload, IstioOperator by IstioOperator (a workload on several proxies: one row each). */
export function workloadRows(iops: readonly IopWorkloads[]): WorkloadRow[] {
  return iops.flatMap((i) =>
    (i.report?.workloads ?? []).flatMap((w) =>
      w.current.map((c) => ({
        istioOperator: `${i.namespace}/${i.name}`,
        namespace: w.namespace,
        kind: w.kind,
        workload: w.name,
        pods: `${w.stalePods}/${w.pods}`,
        currentRevision: c.revision || 'none',
        wantedRevision: w.wanted.revision,
        currentVersion: c.revision ? c.version : 'none',
        wantedVersion: w.wanted.version,
      })),
    ),
  );
}

/**
 * The human view: a summary line per IstioOperator (stale pods and
 * workloads of its revision), then one line per stale workload with
 * current → wanted revision and version.
 */
export function formatWorkloads(iops: readonly IopWorkloads[]): string {
  if (iops.length === 0) return 'No IstioOperators with Pilot found.\n';
  const summary = iops.map((i) => {
    const key = `${i.namespace}/${i.name}`;
    if (i.error) return `${key}: not rendered: ${i.error}`;
    const r = i.report!;
    const wanted = proxyLabel({ revision: r.revision, version: r.version });
    return r.workloads.length === 0
      ? `${key}: all ${r.pods} pod(s) served by revision ${r.revision} run ${wanted}`
      : `${key}: ${r.stalePods} of ${r.pods} pod(s) in ${r.workloads.length} workload(s) do not run ${wanted}`;
  });
  const rows = workloadRows(iops);
  if (rows.length === 0) return summary.join('\n') + '\n';
  const lines: string[][] = [
    ['ISTIOOPERATOR', 'NAMESPACE', 'WORKLOAD', 'KIND', 'STALE PODS', 'REVISION', 'VERSION'],
    ...rows.map((r) => [
      r.istioOperator,
      r.namespace,
      r.workload,
      r.kind,
      r.pods,
      `${r.currentRevision} -> ${r.wantedRevision}`,
      `${r.currentVersion || '?'} -> ${r.wantedVersion || '?'}`,
    ]),
  ];
  return summary.join('\n') + '\n\n' + table(lines);
}
