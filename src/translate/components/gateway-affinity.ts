import { getObject, getPath } from '../../json/values.js';
import { isJsonObject, type Json, type JsonObject } from '../../json/value.js';

/** Keys in the order Helm's `range` visits a map: sorted. */
const sortedEntries = (o: JsonObject): [string, Json][] =>
  Object.keys(o)
    .sort()
    .map((k) => [k, o[k]!]);

/** Go's `int` of a value (sprig's toInt): numbers truncate, numeric strings parse, else 0. */
function toInt(v: Json): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && /^[-+]?\d+$/.test(v.trim())) return Number(v.trim());
  return 0;
}

/** A comma-separated value as the gateway charts split it. */
const split = (v: Json | undefined): string[] => String(v).split(',');

/**
 * A gateway pod's `affinity`, as the 1.27 gateway charts build it:
 * - nodeAffinity required: the gateway's `nodeSelector` (else
 *   `global.defaultNodeSelector`) as `key In [value]` expressions, after
 *   `kubernetes.io/arch In [...]` for each `global.arch` with weight > 0;
 *   preferred: one term per such arch, weighted. (The chart turns the
 *   gateway's nodeSelector into this affinity; it sets no pod nodeSelector.)
 * - podAntiAffinity from `podAntiAffinityLabelSelector` (required) and
 *   `podAntiAffinityTermLabelSelector` (preferred, weight 100), their
 *   `values` and `namespaces` comma-separated.
 * With nothing of these, `{ nodeAffinity: {} }`, as the API server stores
 * the charts' affinity.
 */
export function gatewayAffinity(v: JsonObject, gv: JsonObject): JsonObject {
  const arch = sortedEntries(getObject(v, 'global.arch')).filter(([, w]) => toInt(w) > 0);
  const own = getObject(gv, 'nodeSelector');
  const nodeSelector = Object.keys(own).length ? own : getObject(v, 'global.defaultNodeSelector');
  const nodeAffinity: JsonObject = {};
  if (arch.length || Object.keys(nodeSelector).length) {
    const expressions: JsonObject[] = [];
    if (arch.length) {
      expressions.push({
        key: 'kubernetes.io/arch',
        operator: 'In',
        values: arch.map(([k]) => k),
      });
    }
    for (const [k, val] of sortedEntries(nodeSelector)) {
      expressions.push({ key: k, operator: 'In', values: [String(val)] });
    }
    nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
      nodeSelectorTerms: [{ matchExpressions: expressions }],
    };
  }
  if (arch.length) {
    nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution = arch.map(([k, w]) => ({
      weight: toInt(w),
      preference: {
        matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: [k] }],
      },
    }));
  }
  // Always there, empty when nothing applies: the charts write both of its
  // fields (as null), and the API server keeps an empty `nodeAffinity` in the
  // pod template, so leaving it out would change an adopted istioctl
  // install's pod template and roll its gateways out.
  const affinity: JsonObject = { nodeAffinity };

  const term = (item: JsonObject): JsonObject => {
    const expr: JsonObject = { key: item.key as Json, operator: item.operator as Json };
    if (item.values) expr.values = split(item.values);
    const t: JsonObject = {
      labelSelector: { matchExpressions: [expr] },
      topologyKey: item.topologyKey as Json,
    };
    if (item.namespaces) t.namespaces = split(item.namespaces);
    return t;
  };
  const list = (path: string) => {
    const l = getPath(gv, path);
    return Array.isArray(l) ? l.filter(isJsonObject) : [];
  };
  const required = list('podAntiAffinityLabelSelector');
  const preferred = list('podAntiAffinityTermLabelSelector');
  if (required.length || preferred.length) {
    const anti: JsonObject = {};
    if (required.length) anti.requiredDuringSchedulingIgnoredDuringExecution = required.map(term);
    if (preferred.length) {
      anti.preferredDuringSchedulingIgnoredDuringExecution = preferred.map((item) => {
        const t = term(item);
        // The preferred term carries no namespaces in the chart.
        const podAffinityTerm: JsonObject = {
          labelSelector: t.labelSelector!,
          topologyKey: t.topologyKey!,
        };
        return { podAffinityTerm, weight: 100 };
      });
    }
    affinity.podAntiAffinity = anti;
  }
  return affinity;
}
