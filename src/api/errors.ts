import type { Diagnostic } from './types.js';

/** Renders a value for a message: short JSON, cut at 80 characters. */
export function showValue(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * One line per diagnostic, in the shape users see everywhere:
 * `error: spec.revision: "Canary" is not a DNS-1123 label (…); fix: use lower case …`.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const value = d.value === undefined ? '' : ` (value ${showValue(d.value)})`;
  const fix = d.fix ? `; fix: ${d.fix}` : '';
  return `${d.severity}: ${d.path}: ${d.message}${value}${fix}`;
}

/**
 * Thrown when an IstioOperator has at least one error-severity diagnostic.
 * The message lists every error (warnings are kept in `.diagnostics` too),
 * so a single throw tells the user everything that is wrong at once.
 * Validation errors are terminal: retrying without a spec change cannot help.
 */
export class IstioOperatorValidationError extends Error {
  /** Every finding, errors first, then warnings, each in path order. */
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      `IstioOperator is invalid (${errors.length} error${errors.length === 1 ? '' : 's'}):\n` +
        errors.map((d) => `  ${formatDiagnostic(d)}`).join('\n'),
    );
    this.name = 'IstioOperatorValidationError';
    this.diagnostics = diagnostics;
  }
}

/**
 * Thrown when rendering refuses the user's spec for a reason validation
 * cannot see (an overlay path that matches nothing, values that contradict
 * each other). Like a validation error, it is the spec's fault and terminal.
 */
export class InvalidSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSpecError';
  }
}

/**
 * Whose fault a render failure is: the spec's (validation and
 * {@link InvalidSpecError}: terminal, the user must change the spec) or the
 * operator's (anything else thrown while rendering a valid spec is a bug in
 * the renderer: retried with backoff, and reported as the operator's).
 */
export function renderFailureKind(err: unknown): 'invalid-spec' | 'internal' {
  return err instanceof IstioOperatorValidationError || err instanceof InvalidSpecError
    ? 'invalid-spec'
    : 'internal';
}

/** Sorts diagnostics errors first, then by path, keeping the order of equal ones. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) =>
        (a.d.severity === b.d.severity ? 0 : a.d.severity === 'error' ? -1 : 1) ||
        (a.d.path < b.d.path ? -1 : a.d.path > b.d.path ? 1 : 0) ||
        a.i - b.i,
    )
    .map((x) => x.d);
}
