/**
 * What the fields of an autoscaling/v2beta1 HPA metric became in
 * autoscaling/v2, the form Istio's `k8s.hpaSpec` takes. Kubernetes removed
 * v2beta1 in 1.25 and istioctl refuses its fields as unknown; old
 * IstioOperator files still carry them (`targetAverageUtilization: 80`), so
 * the error shows the v2 form with the user's own value.
 */
import { showValue } from './errors.js';

/** A message and a fix for one v2beta1 field. */
export interface V2beta1Fix {
  message: string;
  fix: string;
}

type Rewrite = (value: unknown) => string;

const target =
  (type: 'Utilization' | 'AverageValue' | 'Value', field: string): Rewrite =>
  (v) =>
    `target: {type: ${type}, ${field}: ${showValue(v)}}`;
const metricName: Rewrite = (v) => `metric: {name: ${showValue(v)}}`;
const metricSelector: Rewrite = (v) => `metric: {selector: ${showValue(v)}}`;

/** Per metric source (the key under metrics[N]): v2beta1 field → its v2 form. */
const V2BETA1_FIELDS: Readonly<Record<string, Readonly<Record<string, Rewrite>>>> = {
  resource: {
    targetAverageUtilization: target('Utilization', 'averageUtilization'),
    targetAverageValue: target('AverageValue', 'averageValue'),
  },
  containerResource: {
    targetAverageUtilization: target('Utilization', 'averageUtilization'),
    targetAverageValue: target('AverageValue', 'averageValue'),
  },
  pods: {
    metricName,
    selector: metricSelector,
    targetAverageValue: target('AverageValue', 'averageValue'),
  },
  object: {
    metricName,
    selector: metricSelector,
    targetValue: target('Value', 'value'),
    averageValue: target('AverageValue', 'averageValue'),
  },
  external: {
    metricName,
    metricSelector,
    targetValue: target('Value', 'value'),
    targetAverageValue: target('AverageValue', 'averageValue'),
  },
};

const REMOVED = 'an autoscaling/v2beta1 field (Kubernetes removed that API in 1.25)';

/**
 * The message and fix for an unknown field `field` (value `value`) at
 * `path`, when it is an autoscaling/v2beta1 metric field under a
 * `hpaSpec.metrics[N]` source; undefined otherwise. `path` is the object
 * holding the field, e.g. [spec, components, pilot, k8s, hpaSpec, metrics,
 * 0, resource].
 */
export function v2beta1MetricFix(
  path: readonly (string | number)[],
  field: string,
  value: unknown,
): V2beta1Fix | undefined {
  const n = path.length;
  // v2beta1's object.target named the object (v2: describedObject); v2's
  // object.target is a MetricTarget, so its fields show up in there.
  if (
    n >= 5 &&
    path[n - 5] === 'hpaSpec' &&
    path[n - 4] === 'metrics' &&
    path[n - 2] === 'object' &&
    path[n - 1] === 'target' &&
    ['apiVersion', 'kind', 'name'].includes(field)
  ) {
    return {
      message: `unknown field "${field}": object.target naming the object is ${REMOVED}`,
      fix: `move it to object.describedObject (autoscaling/v2), and give object.target {type: Value, value: …} or {type: AverageValue, averageValue: …}`,
    };
  }
  if (n < 4 || path[n - 4] !== 'hpaSpec' || path[n - 3] !== 'metrics') return undefined;
  const source = path[n - 1];
  // (Own keys only: a field named "constructor" is no v2beta1 field.)
  if (typeof source !== 'string' || !Object.hasOwn(V2BETA1_FIELDS, source)) return undefined;
  const fields = V2BETA1_FIELDS[source]!;
  if (!Object.hasOwn(fields, field)) return undefined;
  const rewrite = fields[field]!;
  return {
    message: `unknown field "${field}": ${REMOVED}`,
    fix: `write ${source}.${rewrite(value)} instead (autoscaling/v2)`,
  };
}
