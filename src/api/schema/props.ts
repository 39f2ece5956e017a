/**
 * Small builders for Kubernetes structural OpenAPI v3 schemas (the
 * `openAPIV3Schema` of a CRD). The IstioOperator schema is written with these
 * so that it stays readable; the same objects become the CRD YAML and the
 * validator the CLI and operator share.
 */

/** A CEL rule on a schema node (`x-kubernetes-validations`). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps this project uses. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: (string | number)[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: CelRule[];
}

type Extra = Omit<JSONSchemaProps, 'type' | 'properties' | 'items' | 'additionalProperties'>;

function withDesc(s: JSONSchemaProps, description?: string | Extra): JSONSchemaProps {
  if (description === undefined) return s;
  return typeof description === 'string' ? { ...s, description } : { ...s, ...description };
}

/** A string. */
export const str = (d?: string | Extra): JSONSchemaProps => withDesc({ type: 'string' }, d);
/** A boolean (Istio's BoolValue wrappers included). */
export const bool = (d?: string | Extra): JSONSchemaProps => withDesc({ type: 'boolean' }, d);
/** A signed 32-bit integer. */
export const int32 = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'integer', format: 'int32' }, d);
/** A non-negative 32-bit integer (proto uint32). */
export const uint32 = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'integer', format: 'int32', minimum: 0 }, d);
/** A 64-bit integer. */
export const int64 = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'integer', format: 'int64' }, d);
/** A floating point number. */
export const num = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'number', format: 'double' }, d);
/** An integer or a string (ports by name, percentages, quantities, image tags). */
export const intOrString = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ 'x-kubernetes-int-or-string': true }, d);
/** Any JSON value, kept as is. */
export const anyValue = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ 'x-kubernetes-preserve-unknown-fields': true }, d);
/** A string enum. */
export const oneOf = (values: string[], d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'string', enum: values }, d);

/** A closed object: only the listed fields are allowed. */
export const obj = (
  properties: Record<string, JSONSchemaProps>,
  d?: string | Extra,
): JSONSchemaProps => withDesc({ type: 'object', properties }, d);

/** An open-ended object whose content is not checked (Kubernetes or Envoy sub-objects). */
export const open = (d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, d);

/** A map from string keys to values of one schema. */
export const mapOf = (values: JSONSchemaProps, d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'object', additionalProperties: values }, d);

/** A map of strings (labels, annotations, node selectors). */
export const stringMap = (d?: string | Extra): JSONSchemaProps => mapOf(str(), d);

/** A list. */
export const list = (items: JSONSchemaProps, d?: string | Extra): JSONSchemaProps =>
  withDesc({ type: 'array', items }, d);

/** A list of open-ended objects. */
export const openList = (d?: string | Extra): JSONSchemaProps => list(open(), d);
