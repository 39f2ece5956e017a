import yaml from 'js-yaml';
import type { Diagnostic, IstioOperator, JsonObject } from './types.js';
import { API_VERSION, KIND } from './vocabulary.js';
import { isObject } from '../json/value.js';

/** A user file's IstioOperator, still unvalidated. */
export interface ParsedFile {
  name: string;
  /** The IstioOperator object, or undefined when the file had errors or no document. */
  object?: JsonObject;
  diagnostics: Diagnostic[];
}

/**
 * Parses one IstioOperator YAML (or JSON) file. Empty documents are skipped;
 * more than one IstioOperator, another kind, or another apiVersion is an
 * error naming the file. `spec: null` counts as an empty spec, and a null
 * field anywhere in the spec as one not written.
 */
export function parseIstioOperatorFile(name: string, content: string): ParsedFile {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(content, undefined, { schema: yaml.DEFAULT_SCHEMA });
  } catch (err) {
    return {
      name,
      diagnostics: [
        {
          severity: 'error',
          path: name,
          message: `not valid YAML: ${(err as Error).message.split('\n')[0]}`,
          fix: 'fix the YAML syntax at the line shown',
        },
      ],
    };
  }
  const present = docs.filter((d) => d !== null && d !== undefined);
  const diagnostics: Diagnostic[] = [];
  if (present.length === 0) return { name, diagnostics };
  if (present.length > 1) {
    diagnostics.push({
      severity: 'error',
      path: name,
      message: `contains ${present.length} documents; only one IstioOperator per file is supported`,
      fix: 'split the documents into separate files and pass each with -f',
    });
    return { name, diagnostics };
  }
  return checkIstioOperatorObject(name, present[0]);
}

/**
 * Checks a file's parsed document is one IstioOperator: a map with this
 * kind, apiVersion and a map spec (an object the API server holds needs
 * none of this: clusterLayer).
 */
export function checkIstioOperatorObject(name: string, doc: unknown): ParsedFile {
  const diagnostics: Diagnostic[] = [];
  if (!isObject(doc)) {
    diagnostics.push({
      severity: 'error',
      path: name,
      value: doc,
      message: 'is not a YAML map',
      fix: `write an object with apiVersion: ${API_VERSION}, kind: ${KIND} and spec`,
    });
    return { name, diagnostics };
  }
  if (doc.kind !== KIND) {
    diagnostics.push({
      severity: 'error',
      path: `${name}: kind`,
      value: doc.kind,
      message: `must be ${KIND}`,
      fix: `set kind: ${KIND}`,
    });
  }
  if (doc.apiVersion !== API_VERSION) {
    diagnostics.push({
      severity: 'error',
      path: `${name}: apiVersion`,
      value: doc.apiVersion,
      message: `must be ${API_VERSION}`,
      fix: `set apiVersion: ${API_VERSION}`,
    });
  }
  if (doc.spec !== null && doc.spec !== undefined && !isObject(doc.spec)) {
    diagnostics.push({
      severity: 'error',
      path: `${name}: spec`,
      value: doc.spec,
      message: 'must be a map',
      fix: 'write spec as a map of fields (profile, components, values, …), not a list or a scalar',
    });
  }
  if (diagnostics.length > 0) return { name, diagnostics };
  return nullFreeLayer(name, doc);
}

/**
 * The user layer of an IstioOperator the API server holds. The API server
 * has parsed it and its CRD schema has checked kind, apiVersion and the
 * spec's shape, so none of a file's checks runs again; what is left is
 * what a file's spec goes through too: a copy (the informer's cache is
 * never changed) with null fields left out. `name` (`namespace/name`)
 * prefixes the warnings.
 */
export function clusterLayer(name: string, iop: IstioOperator): ParsedFile {
  return nullFreeLayer(name, iop as unknown as JsonObject);
}

/** `doc` with its spec copied without null fields, warning of those under `spec.values`. */
function nullFreeLayer(name: string, doc: JsonObject): ParsedFile {
  const diagnostics: Diagnostic[] = [];
  const object: JsonObject = { ...doc };
  const nulls: string[] = [];
  object.spec = isObject(doc.spec) ? withoutNullFields(doc.spec, 'spec', nulls) : {};
  for (const path of nulls.filter((p) => p === 'spec.values' || p.startsWith('spec.values.'))) {
    diagnostics.push({
      severity: 'warning',
      path: `${name}: ${path}`,
      value: null,
      message:
        "is null, taken as not set: the profile's value stays (istioctl 1.27–1.31 let a null erase the profile's value instead)",
      fix: 'write the value you want, or delete the line',
    });
  }
  return { name, object, diagnostics };
}

/**
 * `v` with every map field whose value is null left out, at any depth (list
 * items stay as written); the paths left out are added to `nulls`. Null
 * means absent, as istioctl decodes a spec into typed fields: an
 * `autoscaleEnabled:` or `values:` written without a value is not a value.
 * (In `values`, istioctl passes a null on to Helm, where it erases the
 * profile's value: `values:` left empty renders the chart's development
 * images. The parse warns there.)
 */
function withoutNullFields(v: Record<string, unknown>, at: string, nulls: string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    const path = `${at}.${k}`;
    if (x === null || x === undefined) {
      nulls.push(path);
      continue;
    }
    out[k] = withoutNulls(x, path, nulls);
  }
  return out;
}

function withoutNulls(v: unknown, at: string, nulls: string[]): unknown {
  if (Array.isArray(v)) return v.map((x, i) => withoutNulls(x, `${at}[${i}]`, nulls));
  if (isObject(v)) return withoutNullFields(v, at, nulls);
  return v;
}
