import { sortDiagnostics } from './errors.js';
import { schemaDiagnostics } from './schema-validator.js';
import { semanticDiagnostics } from './semantic.js';
import type { Diagnostic } from './types.js';

/**
 * The one IstioOperator validator, shared by the CLI and the operator: the
 * CRD's structural schema (unknown fields, types, ranges) plus the semantic
 * checks. Returns every finding, errors first; an empty list means valid.
 * Pure and deterministic.
 */
export function validateIstioOperator(obj: unknown): Diagnostic[] {
  const schema = schemaDiagnostics(obj);
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
