/**
 * Schema validation with ajv, compiled from the CRD's own openAPIV3Schema,
 * so the CLI, the operator and the API server check the same structure.
 * Structural-schema features ajv does not know are converted: objects with
 * properties and no x-kubernetes-preserve-unknown-fields become closed
 * (unknown fields are errors, where the API server would prune them), and
 * x-kubernetes-int-or-string becomes "integer or string". CEL rules cannot
 * run here; semantic.ts has a twin for each of them.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import generatedValidator from './generated/validator.js';
import { showValue } from './errors.js';
import { formatPath, getPath } from '../json/path.js';
import { isObject } from '../json/value.js';
import { v2beta1MetricFix } from './k8s-types-v2beta1.js';
import { REMOVED_FIELDS } from './removed.js';
import { k8sTypeOf, QUANTITY_PATTERN, validatorSchemaOf } from './schema/k8s-types.js';
import type { JSONSchemaProps } from './schema/props.js';
import { DURATION_PATTERN } from './schema/values.js';
import type { Diagnostic } from './types.js';

/** A JSON Schema object as ajv takes it. */
type AjvSchema = Record<string, unknown>;

/** Converts one structural schema node (and its children) for ajv. */
function convert(s: JSONSchemaProps, ref: (s: JSONSchemaProps) => AjvSchema): AjvSchema {
  const out: AjvSchema = {};
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  // Which Kubernetes type a node is, for messages (see toDiagnostic).
  const kind = k8sTypeOf(s);
  if (kind) out.title = kind;
  if (s['x-kubernetes-int-or-string']) {
    out.type = ['integer', 'string'];
  } else if (s.type) {
    out.type = s.nullable ? [s.type, 'null'] : s.type;
  }
  for (const k of [
    'enum',
    'minimum',
    'maximum',
    'maxLength',
    'minLength',
    'maxItems',
    'maxProperties',
    'pattern',
    'required',
  ] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, ref(v)]));
  }
  if (s.additionalProperties) {
    out.additionalProperties = ref(s.additionalProperties);
  } else if (s.type === 'object' && s.properties && !preserve) {
    out.additionalProperties = false;
  }
  if (s.items) out.items = ref(s.items);
  return out;
}

/**
 * A sub-schema with at least this many property nodes below it becomes a
 * definition of its own even when used once (see toAjvSchema).
 */
const OWN_DEFINITION_NODES = 40;

/**
 * Converts a structural CRD schema into an equivalent draft-07 schema for
 * ajv. A sub-schema object used in several places (the `k8s` block of every
 * component) becomes one definition, so ajv compiles it once; so does every
 * large one (`values`, `meshConfig`, each component). With the validator
 * options' `inlineRefs: false` each definition is a function of its own, and
 * a cold CLI run compiles and runs only the functions of the fields a spec
 * has: one function for the whole schema was 1 MB, and took a cold
 * `manifest generate` ~8 ms to enter even for `profile: demo`.
 * A use of a Kubernetes type is checked with the type's one closed node,
 * also where the CRD keeps it open (validatorSchemaOf), and each Kubernetes
 * type is a definition of its own, however small: the `k8s` block's function
 * stays small, and a spec compiles only the types it uses.
 *
 * The definitions are a schema of their own ({@link AJV_DEFINITIONS_ID}),
 * which ajv must be given with addSchema: ahead-of-time code writes each
 * definition out as a constant beside its function, and a copy of them all
 * inside the root's constant would be referenced by nothing, yet built by
 * every CLI run as the module loads.
 */
export function toAjvSchema(root: JSONSchemaProps): { root: AjvSchema; definitions: AjvSchema } {
  const uses = new Map<JSONSchemaProps, number>();
  const nodes = new Map<JSONSchemaProps, number>();
  const count = (use: JSONSchemaProps): number => {
    const s = validatorSchemaOf(use);
    uses.set(s, (uses.get(s) ?? 0) + 1);
    if ((uses.get(s) ?? 0) > 1) return nodes.get(s) ?? 0;
    let n = 1;
    for (const c of Object.values(s.properties ?? {})) n += count(c);
    if (s.additionalProperties) n += count(s.additionalProperties);
    if (s.items) n += count(s.items);
    nodes.set(s, n);
    return n;
  };
  count(root);
  const definitions: Record<string, AjvSchema> = {};
  const names = new Map<JSONSchemaProps, string>();
  const own = (s: JSONSchemaProps) =>
    s !== root &&
    s.properties !== undefined &&
    ((uses.get(s) ?? 0) > 1 ||
      (nodes.get(s) ?? 0) >= OWN_DEFINITION_NODES ||
      k8sTypeOf(s) !== undefined);
  const ref = (use: JSONSchemaProps): AjvSchema => {
    const s = validatorSchemaOf(use);
    if (!own(s)) return convert(s, ref);
    let name = names.get(s);
    if (!name) {
      name = `d${names.size}`;
      names.set(s, name);
      definitions[name] = convert(s, ref);
    }
    return { $ref: `${AJV_DEFINITIONS_ID}#/definitions/${name}` };
  };
  return { root: convert(root, ref), definitions: { $id: AJV_DEFINITIONS_ID, definitions } };
}

/** The $id of the schema holding the definitions {@link toAjvSchema} makes. */
export const AJV_DEFINITIONS_ID = 'istiooperator-definitions';

/**
 * The validator, compiled ahead of time from this schema by
 * scripts/write-validator.ts (compiling at start-up cost ~0.3 s per CLI run; a unit
 * test keeps the generated module in step with the schema).
 */
function validator(): ValidateFunction {
  return generatedValidator as unknown as ValidateFunction;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return dp[b.length]!;
}

/** The closest known name to a misspelt one, if it is close enough to be a typo. */
export function closestName(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3))) return best;
  // A shortened name (replicas for replicaCount) is a typo too.
  const stem = name.toLowerCase().replace(/s$/, '');
  return stem.length >= 4 ? known.find((k) => k.toLowerCase().startsWith(stem)) : undefined;
}

function typeWord(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  const words = list.map((x) =>
    x === 'integer'
      ? 'an integer'
      : x === 'object'
        ? 'a map'
        : x === 'array'
          ? 'a list'
          : x === 'null'
            ? 'null'
            : `a ${String(x)}`,
  );
  return words.join(' or ');
}

function toDiagnostic(e: ErrorObject, root: unknown): Diagnostic | undefined {
  const base = pointerToPath(e.instancePath);
  const here = formatPath(base);
  const value = getPath(root, base);
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const path = formatPath([...base, field]);
      const fieldValue = isObject(value) ? value[field] : undefined;
      const removed = REMOVED_FIELDS[path];
      if (removed) return { severity: 'error', path, message: removed.message, fix: removed.fix };
      const v2beta1 = v2beta1MetricFix(base, field, fieldValue);
      if (v2beta1) return { severity: 'error', path, value: fieldValue, ...v2beta1 };
      const parent = e.parentSchema as AjvSchema | undefined;
      const known = Object.keys((parent?.properties as AjvSchema | undefined) ?? {});
      const guess = closestName(field, known);
      const where = typeof parent?.title === 'string' ? ` in a Kubernetes ${parent.title}` : '';
      return {
        severity: 'error',
        path,
        value: fieldValue,
        message: guess
          ? `unknown field "${field}"${where} (did you mean "${guess}"?)`
          : `unknown field "${field}"${where}`,
        fix: `${guess ? `rename it to "${guess}"` : 'remove it'}; fields allowed here: ${known.join(', ')}`,
      };
    }
    case 'type':
      return {
        severity: 'error',
        path: here,
        value,
        message: `must be ${typeWord((e.params as { type: unknown }).type)}, not ${showValue(value)}`,
        fix:
          (e.params as { type: unknown }).type === 'string'
            ? 'quote the value in YAML'
            : `write ${typeWord((e.params as { type: unknown }).type)}`,
      };
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return {
        severity: 'error',
        path: here,
        value,
        message: 'is not an allowed value',
        fix: `use one of: ${allowed.map(String).join(', ')}`,
      };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return {
        severity: 'error',
        path: formatPath([...base, missing]),
        message: 'is required',
        fix: `set ${missing}`,
      };
    }
    case 'minimum':
    case 'maximum': {
      const p = e.params as { comparison: string; limit: number };
      return {
        severity: 'error',
        path: here,
        value,
        message: `must be ${p.comparison} ${p.limit}`,
        fix: `use a value ${p.comparison} ${p.limit}`,
      };
    }
    case 'maxLength':
    case 'minLength':
    case 'maxItems': {
      const p = e.params as { limit: number };
      const what = e.keyword === 'maxItems' ? 'items' : 'characters';
      const cmp = e.keyword === 'minLength' ? 'at least' : 'at most';
      return {
        severity: 'error',
        path: here,
        value,
        message: `must have ${cmp} ${p.limit} ${what}`,
        fix: `shorten it to ${cmp} ${p.limit} ${what}`,
      };
    }
    case 'pattern': {
      const pattern = (e.params as { pattern: string }).pattern;
      if (pattern === QUANTITY_PATTERN) {
        return {
          severity: 'error',
          path: here,
          value,
          message: 'is not a Kubernetes quantity',
          fix: 'write a quantity such as 100m, 0.5, 128Mi or 2Gi',
        };
      }
      return pattern === DURATION_PATTERN
        ? {
            severity: 'error',
            path: here,
            value,
            message: 'is not a duration',
            fix: 'write a duration such as 30s, 30m or 1h',
          }
        : { severity: 'error', path: here, value, message: `does not match ${pattern}` };
    }
    default:
      return {
        severity: 'error',
        path: here,
        value,
        message: e.message ?? e.keyword,
      };
  }
}

/**
 * Checks `obj` against the CRD schema. Returns one error per problem (ajv
 * reports several for one int-or-string mismatch; those are folded).
 */
export function schemaDiagnostics(obj: unknown): Diagnostic[] {
  const validate = validator();
  if (validate(obj)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of validate.errors ?? []) {
    const d = toDiagnostic(e, obj);
    if (!d) continue;
    const key = `${d.path}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
