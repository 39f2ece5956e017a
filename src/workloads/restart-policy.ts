import { RESTART_WORKLOADS_ANNOTATION } from '../api/vocabulary.js';

/**
 * How the restart of stale workloads proceeds, as the IstioOperator's
 * `install.istio.io/restart-workloads` annotation says. Batches keep a bad
 * proxy from reaching every workload at once; the pause gives alerts time
 * to fire between batches.
 */
export interface RestartPolicy {
  /** Workloads restarted together; the next batch starts once all of them completed. 1..100, default 5. */
  batch: number;
  /** Wait after a batch completed before the next starts. Default 0. */
  pauseMs: number;
  /** How long one rollout may take; undefined = the workload's own progressDeadlineSeconds (Deployments), else 10 minutes. */
  timeoutMs?: number;
}

/** The policy of an annotation that is empty or `true`. */
export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = { batch: 5, pauseMs: 0 };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const FIX_KEYS =
  'use batch=N, pause=DURATION, timeout=DURATION (e.g. "batch=5,pause=30s,timeout=10m")';
const FIX_DURATION = 'write a duration such as 500ms, 30s, 5m, 1m30s or 1h';

/**
 * Parses the annotation's value. "" and "true" = defaults. "false" = off
 * (returns {off:true}). Otherwise comma-separated key=value, keys batch
 * (int 1..100), pause (duration 0s..24h), timeout (duration 10s..24h);
 * durations Go-style (30s, 5m, 1m30s, 1h, 500ms), as Kubernetes users
 * write them elsewhere. Whitespace around items allowed. Errors name the
 * annotation, the bad item and the fix.
 */
export function parseRestartPolicy(value: string): {
  policy?: RestartPolicy;
  off?: true;
  error?: string;
} {
  const text = value.trim();
  if (text === '' || text === 'true') return { policy: { ...DEFAULT_RESTART_POLICY } };
  if (text === 'false') return { off: true };
  const policy: RestartPolicy = { ...DEFAULT_RESTART_POLICY };
  const seen = new Set<string>();
  const fail = (problem: string, item: string, fix: string) => ({
    error: `${RESTART_WORKLOADS_ANNOTATION}: ${problem} in "${item}"; fix: ${fix}`,
  });
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (item === '') return fail('empty item', value, `remove the extra comma; ${FIX_KEYS}`);
    const eq = item.indexOf('=');
    if (eq < 0) return fail('expected key=value', item, FIX_KEYS);
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (key !== 'batch' && key !== 'pause' && key !== 'timeout') {
      return fail(`unknown key "${key}"`, item, FIX_KEYS);
    }
    if (seen.has(key)) return fail(`"${key}" given twice`, value, `keep one ${key}=…`);
    seen.add(key);
    if (key === 'batch') {
      const n = /^\d+$/.test(val) ? Number(val) : NaN;
      if (!(n >= 1 && n <= 100)) {
        return fail('batch must be a whole number from 1 to 100', item, 'use e.g. batch=5');
      }
      policy.batch = n;
      continue;
    }
    const ms = parseDuration(val);
    if (ms === undefined) return fail(`"${val}" is not a duration`, item, FIX_DURATION);
    const min = key === 'pause' ? 0 : 10 * SECOND;
    if (ms < min || ms > DAY) {
      return fail(
        `${key} must be from ${formatDuration(min)} to 24h`,
        item,
        key === 'pause' ? 'use e.g. pause=30s' : 'use e.g. timeout=10m',
      );
    }
    if (key === 'pause') policy.pauseMs = ms;
    else policy.timeoutMs = ms;
  }
  return { policy };
}

/** The canonical text of a policy, for status/messages: "batch=5,pause=30s,timeout=10m" (timeout left out when undefined). */
export function formatRestartPolicy(p: RestartPolicy): string {
  const timeout = p.timeoutMs === undefined ? '' : `,timeout=${formatDuration(p.timeoutMs)}`;
  return `batch=${p.batch},pause=${formatDuration(p.pauseMs)}${timeout}`;
}

const UNITS: Record<string, number> = { h: HOUR, m: MINUTE, s: SECOND, ms: 1 };

/**
 * A Go-style duration (`1h`, `1m30s`, `1.5s`, `500ms`, a bare `0`) in
 * milliseconds, rounded to whole ms; undefined when it is not one. Only
 * h, m, s and ms: shorter units mean nothing for a rollout.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text === '') return undefined;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNITS[m[2]!]!;
    at = part.lastIndex;
  }
  return Math.round(total);
}

/** Milliseconds as the shortest Go-style duration that {@link parseDuration} reads back: `1m30s`, `10m`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of Object.entries(UNITS)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) out += `${n}${unit}`;
  }
  return out;
}
