/**
 * Kubernetes types as closed structural schema nodes, built from the field
 * table that scripts/write-k8s-types.ts derives from @kubernetes/client-node
 * (src/api/generated/k8s-types.ts). The IstioOperator schema uses them where
 * Istio embeds a Kubernetes type (k8s.tolerations, k8s.hpaSpec,
 * values.pilot.affinity, …), so an unknown field or a wrong type there is an
 * error naming its path, as it is for istioctl's strict Go decoding.
 *
 * No field is required: Go decoding requires none (an HPA spec without
 * scaleTargetRef is what Istio fills in), so neither do we.
 *
 * The CRD has no $ref: every use of a type is written out in full, and the
 * k8s block alone is there seven times. The largest types
 * ({@link CRD_OPEN_TYPES}) are therefore open in the CRD
 * (x-kubernetes-preserve-unknown-fields) and closed only in the validator
 * that the CLI and the operator run (schema-validator.ts swaps each such
 * node for its closed schema), which keeps the CRD at about a third of the
 * size it would have.
 */
import { K8S_TYPES } from '../generated/k8s-types.js';
import {
  anyValue,
  bool,
  int32,
  int64,
  intOrString,
  list,
  mapOf,
  num,
  obj,
  open,
  str,
  type JSONSchemaProps,
} from './props.js';

/** A Kubernetes type the table holds, by its client-node model name (V1Toleration). */
export type K8sTypeName = keyof typeof K8S_TYPES;

/** A Kubernetes resource quantity such as 100m, 1.5, 128Mi or 1e3. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A quantity: Kubernetes takes a number too (cpu: 1). */
export const quantity = (description?: string): JSONSchemaProps =>
  intOrString(
    description ? { description, pattern: QUANTITY_PATTERN } : { pattern: QUANTITY_PATTERN },
  );

/**
 * Types too large to write out at every use in the CRD (written out in full
 * as compact JSON: Volume 11 kB, Affinity 5 kB, an HPA MetricSpec 4 kB; the
 * next largest, Lifecycle, 1.3 kB).
 */
export const CRD_OPEN_TYPES: ReadonlySet<K8sTypeName> = new Set([
  'V1Volume',
  'V1Affinity',
  'V2MetricSpec',
]);

// One node per type: the ajv conversion turns a node used in several places
// into one shared definition (toAjvSchema), so each type is compiled once.
const built = new Map<string, JSONSchemaProps>();
const names = new WeakMap<JSONSchemaProps, string>();

function fromExpr(expr: string): JSONSchemaProps {
  if (expr.startsWith('[]')) return list(fromExpr(expr.slice(2)));
  if (expr.startsWith('map[string]')) return mapOf(fromExpr(expr.slice('map[string]'.length)));
  switch (expr) {
    case 'string':
      return str();
    case 'boolean':
      return bool();
    case 'int32':
      return int32();
    case 'int64':
      return int64();
    case 'number':
      return num();
    case 'int-or-string':
      return intOrString();
    case 'quantity':
      return quantity();
    case 'date-time':
      return str({ format: 'date-time' });
    case 'any':
      return anyValue();
  }
  return use(expr as K8sTypeName);
}

function typeNode(name: K8sTypeName): JSONSchemaProps {
  let node = built.get(name);
  if (!node) {
    const fields: Record<string, string> = K8S_TYPES[name];
    node = obj(Object.fromEntries(Object.entries(fields).map(([f, t]) => [f, fromExpr(t)])));
    built.set(name, node);
    names.set(node, name);
  }
  return node;
}

// A node handed out for a use of a type that is not the type's own node (an
// open CRD node, a copy with a description) → the type.
const useOf = new WeakMap<JSONSchemaProps, K8sTypeName>();

function use(name: K8sTypeName, description?: string): JSONSchemaProps {
  if (!CRD_OPEN_TYPES.has(name) && description === undefined) return typeNode(name);
  const node = CRD_OPEN_TYPES.has(name) ? open(description) : { ...typeNode(name), description };
  useOf.set(node, name);
  return node;
}

/** The schema of one Kubernetes type, e.g. k8sType('V1Toleration'). */
export function k8sType(name: K8sTypeName, description?: string): JSONSchemaProps {
  return use(name, description);
}

/** A list of one Kubernetes type (tolerations, volumes, …). */
export function k8sList(name: K8sTypeName, description?: string): JSONSchemaProps {
  return list(use(name), description);
}

/**
 * The node the validator checks in place of `node`: for a use of a
 * Kubernetes type the type's one closed node (closed even where the CRD
 * keeps it open, see {@link CRD_OPEN_TYPES}; descriptions mean nothing to
 * the validator, and one node per type is compiled once); `node` itself for
 * any other node.
 */
export function validatorSchemaOf(node: JSONSchemaProps): JSONSchemaProps {
  const name = useOf.get(node);
  return name ? typeNode(name) : node;
}

/**
 * The Kubernetes kind of a type's own node (as {@link validatorSchemaOf}
 * gives it) without the client-node version prefix (V1Toleration →
 * Toleration), for messages; undefined for any other node.
 */
export function k8sTypeOf(node: JSONSchemaProps): string | undefined {
  return names.get(node)?.replace(/^(Core)?V[0-9]+((alpha|beta)[0-9]+)?/, '');
}
