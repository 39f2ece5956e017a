import { sortDiagnostics } from './errors.js';
import { schemaDiagnostics } from './schema-validator.js';
import { semanticDiagnostics } from './semantic.js';
import type { Diagnostic } from './types.js';

/**
 * The one IstioOperator validator, shared by the CLI and the operator: the
 * CRD's structural schema (unknown fields, types, ranges) plus the semantic
 * checks. Returns every finding, errors first; an empty list means valid.
 * Pure and deterministic.
 *
 * `schemaOf` is what the structural schema is checked on, when that is not
 * `obj` itself: a merged IstioOperator's leaves each come from a built-in
 * profile (valid, tested) or from the user's layer, and the schema only
 * constrains leaves, list items and unknown keys — never how layers
 * combine — so checking the user's layer alone gives the same verdicts.
 * It is much cheaper (a cold `manifest generate` spent ~12 ms walking the
 * whole merged demo profile); the semantic checks still see the merge.
 */
export function validateIstioOperator(obj: unknown, schemaOf: unknown = obj): Diagnostic[] {
  const schema = schemaDiagnostics(schemaOf);
  // A field the schema already rejected needs no second message from a
  // semantic twin of the same rule (e.g. an over-long revision).
  const rejected = new Set(schema.map((d) => d.path));
  const semantic = semanticDiagnostics(obj).filter(
    (d) => d.severity === 'warning' || !rejected.has(d.path),
  );
  return sortDiagnostics([...schema, ...semantic]);
}

/** Whether a list of diagnostics contains an error (warnings never block). */
export function hasErrors(ds: Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
