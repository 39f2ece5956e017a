import type { Diagnostic, JsonObject } from './types.js';

/** Moves deprecated 1.23-era values to their new paths (placeholder). */
export function translateDeprecatedValues(_spec: JsonObject): Diagnostic[] {
  return [];
}
