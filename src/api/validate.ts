import type { Diagnostic } from './types.js';

/** Validates an IstioOperator object; returns every finding (placeholder until the schema lands). */
export function validateIstioOperator(_obj: unknown): Diagnostic[] {
  return [];
}
