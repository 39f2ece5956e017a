import { UserError } from './errors.js';

/** A `--timeout` value (`90s`, `5m`, `500ms`, or seconds) in milliseconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) throw new UserError(`--timeout: "${v}" is not a duration (use e.g. 90s or 5m)`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}
