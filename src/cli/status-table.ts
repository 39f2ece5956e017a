import type { Condition, IstioOperator } from '../api/types.js';

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
  components: { name: string; status: string; version: string; objects: number; error?: string }[];
}

function condition(iop: IstioOperator, type: string): Condition | undefined {
  return iop.status?.conditions?.find((c) => c.type === type);
}

/**
 * Builds the rows of the status view from IstioOperators and a count of the
 * objects each owns per component (`namespace/name` → component → count).
 * Pure, so the view is unit-tested without a cluster.
 */
export function statusRows(
  iops: readonly IstioOperator[],
  objectCounts: ReadonlyMap<string, ReadonlyMap<string, number>>,
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
      const stale =
        iop.status?.observedGeneration !== undefined &&
        iop.status.observedGeneration !== iop.metadata.generation;
      return {
        namespace: iop.metadata.namespace ?? '',
        name: iop.metadata.name ?? '',
        revision: iop.spec?.revision || 'default',
        profile: iop.spec?.profile || 'default',
        status: (iop.status?.status ?? 'NONE') + (stale ? ' (stale)' : ''),
        ready: condition(iop, 'Ready')?.status ?? 'Unknown',
        version: Object.values(comps).find((c) => c.version)?.version ?? '',
        message: iop.status?.message ?? '',
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

function table(rows: string[][]): string {
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
  const notes = rows
    .filter((r) => r.status !== 'HEALTHY' && r.message)
    .map((r) => `${r.namespace}/${r.name}: ${r.message.split('\n').join('\n  ')}`);
  return table(lines) + (notes.length ? '\n' + notes.join('\n') + '\n' : '');
}
