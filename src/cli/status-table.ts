import type { Condition, IstioOperator } from '../api/types.js';
import { coverageProblem, type OperatorInstance } from '../install/coverage.js';
import { FINALIZER } from '../api/vocabulary.js';

/** The operator's finalizer (as controller/reconciler.ts; not imported, to keep this module light). */

/** One IstioOperator as `istio-operator status` shows it. */
export interface StatusRow {
  namespace: string;
  name: string;
  revision: string;
  profile: string;
  status: string;
  ready: string;
  version: string;
  message: string;
  /** Being deleted, waiting for the operator's finalizer to uninstall it. */
  deleting: boolean;
  /** Why no running operator acts on it, with the fix (only when the operators could be read). */
  problem?: string;
  /**
   * No operator Deployment exists at all: unless one runs outside the
   * cluster (invisible here), nothing acts on it. Set only where that matters
   * (never reconciled, stale, or being deleted); not counted as unhealthy.
   */
  hint?: string;
  components: { name: string; status: string; version: string; objects: number; error?: string }[];
  /**
   * Pods its revision serves and how many of them (in how many workloads)
   * run another proxy (`istio-operator workloads` lists them); unset
   * without Pilot or when pods could not be listed.
   */
  proxies?: { pods: number; stalePods: number; staleWorkloads: number };
  /** The restart of stale workloads the IstioOperator opted into, as the operator last reported it. */
  restart?: { phase: string; message: string; policy?: string; restarted?: number };
}

/** status.proxies.restart, reduced to what the view shows. */
function restartOf(iop: IstioOperator): StatusRow['restart'] {
  const r = iop.status?.proxies?.restart;
  if (!r) return undefined;
  return {
    phase: r.phase,
    message: r.message,
    ...(r.policy ? { policy: r.policy } : {}),
    ...(r.restarted !== undefined ? { restarted: r.restarted } : {}),
  };
}

function condition(iop: IstioOperator, type: string): Condition | undefined {
  return iop.status?.conditions?.find((c) => c.type === type);
}

/**
 * Builds the rows of the status view from IstioOperators, a count of the
 * objects each owns per component (`namespace/name` → component → count)
 * and, when known, the operators installed in the cluster (to say which
 * IstioOperators no running operator will act on). Pure, so the view is
 * unit-tested without a cluster.
 */
export function statusRows(
  iops: readonly IstioOperator[],
  objectCounts: ReadonlyMap<string, ReadonlyMap<string, number>>,
  operators?: readonly OperatorInstance[],
): StatusRow[] {
  return [...iops]
    .sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace}/${b.metadata.name}`,
      ),
    )
    .map((iop) => {
      const key = `${iop.metadata.namespace}/${iop.metadata.name}`;
      const counts = objectCounts.get(key) ?? new Map<string, number>();
      const comps = iop.status?.componentStatus ?? {};
      const names = [...new Set([...Object.keys(comps), ...counts.keys()])].sort();
      const deleting =
        !!iop.metadata.deletionTimestamp && (iop.metadata.finalizers ?? []).includes(FINALIZER);
      // Deleting bumps the generation too: that is not a stale status.
      const stale =
        !deleting &&
        iop.status?.observedGeneration !== undefined &&
        iop.status.observedGeneration !== iop.metadata.generation;
      const place = { namespace: iop.metadata.namespace ?? '', revision: iop.spec?.revision ?? '' };
      const problem = operators?.length ? coverageProblem(place, operators) : undefined;
      const hint =
        operators?.length === 0 && (deleting || stale || !iop.status?.status)
          ? coverageProblem(place, operators)
          : undefined;
      const suffix = deleting ? ' (deleting)' : stale ? ' (stale)' : '';
      return {
        namespace: iop.metadata.namespace ?? '',
        name: iop.metadata.name ?? '',
        revision: iop.spec?.revision || 'default',
        profile: iop.spec?.profile || 'default',
        status: (iop.status?.status ?? 'NONE') + suffix,
        ready: condition(iop, 'Ready')?.status ?? 'Unknown',
        version: Object.values(comps).find((c) => c.version)?.version ?? '',
        message: iop.status?.message ?? '',
        deleting,
        ...(problem ? { problem } : {}),
        ...(hint ? { hint } : {}),
        ...(restartOf(iop) ? { restart: restartOf(iop)! } : {}),
        components: names.map((n) => ({
          name: n,
          status: comps[n]?.status ?? 'NONE',
          version: comps[n]?.version ?? '',
          objects: counts.get(n) ?? 0,
          ...(comps[n]?.error ? { error: comps[n]!.error! } : {}),
        })),
      };
    });
}

/** Columns padded to their widest cell, two spaces apart (the first row is the header). */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** The human view: one line per IstioOperator, then its components indented. */
export function formatStatus(rows: readonly StatusRow[]): string {
  if (rows.length === 0) return 'No IstioOperators found.\n';
  const lines: string[][] = [
    ['NAMESPACE/NAME', 'STATUS', 'READY', 'REVISION', 'PROFILE', 'VERSION'],
  ];
  for (const r of rows) {
    lines.push([`${r.namespace}/${r.name}`, r.status, r.ready, r.revision, r.profile, r.version]);
    for (const c of r.components) {
      lines.push([
        `  ${c.name}`,
        c.status,
        '',
        '',
        `${c.objects} objects`,
        c.error ? `error: ${c.error}` : '',
      ]);
    }
  }
  const notes = rows.flatMap((r) => {
    const key = `${r.namespace}/${r.name}`;
    const out: string[] = [];
    const uninstall = `istio-operator uninstall ${r.name} -n ${r.namespace}`;
    if (r.deleting && r.problem) {
      out.push(
        `${key}: deletion pending, and no operator runs to finish it: ${r.problem}.\n` +
          `  Or finish the uninstall here: ${uninstall}`,
      );
    } else if (r.deleting && r.hint) {
      out.push(
        `${key}: deletion pending, and no operator may run to finish it: no istio-operator Deployment is ` +
          'installed (one running outside the cluster is not visible here).\n' +
          `  Unless one runs, finish the uninstall here: ${uninstall}`,
      );
    } else if (r.problem) {
      out.push(`${key}: not reconciled: ${r.problem}`);
    } else if (r.hint) {
      out.push(`${key}: ${r.hint}`);
    } else if (r.deleting) {
      out.push(`${key}: being deleted; the operator is uninstalling it`);
    }
    if (r.proxies && r.proxies.staleWorkloads > 0)
      out.push(
        `${key}: ${r.proxies.stalePods} of ${r.proxies.pods} pod(s) in ${r.proxies.staleWorkloads} workload(s) still run an old proxy ` +
          `(restart them; list them with: istio-operator workloads -n ${r.namespace} ${r.name})`,
      );
    if (r.restart)
      out.push(
        `${key}: restart of stale workloads ${r.restart.phase}` +
          `${r.restart.policy ? ` (${r.restart.policy})` : ''}` +
          `${r.restart.restarted ? `, ${r.restart.restarted} restarted` : ''}: ${r.restart.message}`,
      );
    if (r.status !== 'HEALTHY' && r.message)
      out.push(`${key}: ${r.message.split('\n').join('\n  ')}`);
    return out;
  });
  return table(lines) + (notes.length ? '\n' + notes.join('\n') + '\n' : '');
}

/**
 * Whether a row counts as unhealthy for `status --fail-unhealthy`: not
 * HEALTHY, a status older than the spec, a deletion in progress, or no
 * running operator to act on it.
 */
export function unhealthy(r: StatusRow): boolean {
  return r.status !== 'HEALTHY' || r.deleting || r.problem !== undefined;
}
