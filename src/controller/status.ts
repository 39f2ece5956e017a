import { isDeepStrictEqual } from 'node:util';
import type {
  Condition,
  ComponentStatus,
  InstallState,
  IstioOperatorStatus,
} from '../api/types.js';
import { IGNORE_ANNOTATION } from '../api/vocabulary.js';

/** What one reconcile found, reduced to what status reports. */
export type ReconcileOutcome =
  | { kind: 'reconciling' }
  | { kind: 'invalid'; messages: string[] }
  /** Rendering a valid spec failed: the operator's fault, retried. */
  | { kind: 'render-failed'; message: string }
  | { kind: 'conflict'; messages: string[] }
  | { kind: 'ignored' }
  | { kind: 'uninstall-failed'; messages: string[] }
  /** The spec would downgrade or skip a minor version; nothing was applied. */
  | { kind: 'version-skew'; messages: string[] }
  /** Deletion waits: workloads still use the revision. */
  | { kind: 'revision-in-use'; message: string }
  | {
      kind: 'applied';
      /**
       * Per component (internal name): error, or readiness, and the version
       * it is being moved to.
       */
      components: {
        name: string;
        error?: string;
        ready: boolean;
        waitingFor: string[];
        version: string;
      }[];
      /** Errors deleting objects that are no longer desired. */
      pruneErrors: string[];
      /**
       * What was deliberately left as it is (CRDs newer or richer than
       * ours): told in the message, not an error.
       */
      notes?: string[];
    };

/** At most this many messages are listed in status; the rest are counted. */
export const MAX_MESSAGES = 20;
/** Condition messages are limited to 32768 characters by the CRD (as metav1.Condition). */
const MAX_MESSAGE_LENGTH = 32_000;

/**
 * One status message from many: the first {@link MAX_MESSAGES}, then a
 * count, cut to what a condition may hold. A spec with thousands of errors
 * must still get its status written — a status the API server refuses
 * (413, or the schema's maxLength) would leave it RECONCILING forever.
 */
export function summarize(messages: readonly string[]): string {
  const listed = messages.slice(0, MAX_MESSAGES);
  if (messages.length > MAX_MESSAGES) listed.push(`… and ${messages.length - MAX_MESSAGES} more`);
  const text = listed.join('\n');
  return text.length <= MAX_MESSAGE_LENGTH ? text : `${text.slice(0, MAX_MESSAGE_LENGTH)} … (cut)`;
}

/** The Stalled reason of each outcome that refuses the spec as it is. */
const ERROR_REASONS = {
  invalid: 'InvalidSpec',
  conflict: 'OwnershipConflict',
  'version-skew': 'VersionSkew',
} as const;

/** Sets `cond` in `conditions`, keeping lastTransitionTime unless the status flips. */
export function setCondition(
  conditions: readonly Condition[],
  cond: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const prev = conditions.find((c) => c.type === cond.type);
  const next: Condition = {
    ...cond,
    lastTransitionTime: prev && prev.status === cond.status ? prev.lastTransitionTime : now,
  };
  const rest = conditions.filter((c) => c.type !== cond.type);
  return [...rest, next].sort(
    (a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type),
  );
}

/** Conditions in the order status lists them; `ProxiesCurrent` is the proxies loop's (proxies-status.ts). */
const CONDITION_ORDER = ['Ready', 'Reconciling', 'Stalled', 'ProxiesCurrent'];

function cond(type: string, on: boolean, reason: string, message: string, generation: number) {
  return {
    type,
    status: on ? ('True' as const) : ('False' as const),
    reason,
    message,
    observedGeneration: generation,
  };
}

/**
 * Computes the status to write after a reconcile. Pure: `now` is only used
 * as the transition time of conditions that flip, so a status computed twice
 * from the same outcome is identical, and the caller writes only when it
 * differs from what is there (no timestamp churn, no needless writes).
 *
 * `status.status` keeps Istio's enum (Argo CD's IstioOperator health check
 * reads only that); the Ready/Reconciling/Stalled conditions with
 * observedGeneration are what kstatus (Flux) reads.
 */
export function computeStatus(
  prev: IstioOperatorStatus | undefined,
  generation: number,
  outcome: ReconcileOutcome,
  now: string,
): IstioOperatorStatus {
  let state: InstallState;
  let message: string;
  let reason: string;
  let componentStatus: Record<string, ComponentStatus> | undefined = prev?.componentStatus;
  switch (outcome.kind) {
    case 'reconciling':
      state = 'RECONCILING';
      reason = 'Reconciling';
      message = `applying generation ${generation}`;
      break;
    case 'invalid':
    case 'conflict':
    case 'version-skew':
      state = 'ERROR';
      reason = ERROR_REASONS[outcome.kind];
      message = summarize(outcome.messages);
      break;
    case 'render-failed':
      state = 'ERROR';
      reason = 'RenderFailed';
      message =
        `the operator failed to render this IstioOperator — a bug in the operator, not in the spec; ` +
        `it retries with backoff (please report it): ${outcome.message}`;
      break;
    case 'uninstall-failed':
      state = 'ERROR';
      reason = 'UninstallFailed';
      message = `uninstalling; will retry: ${summarize(outcome.messages)}`;
      break;
    case 'revision-in-use':
      state = 'ACTION_REQUIRED';
      reason = 'RevisionInUse';
      message = outcome.message;
      break;
    case 'ignored':
      state = prev?.status ?? 'NONE';
      reason = 'ReconcileIgnored';
      message = `${IGNORE_ANNOTATION} is "true": the operator leaves this IstioOperator alone`;
      break;
    case 'applied': {
      const before = componentStatus ?? {};
      componentStatus = {};
      for (const c of outcome.components) {
        const healthy = !c.error && c.ready;
        componentStatus[c.name] = {
          status: c.error ? 'ERROR' : c.ready ? 'HEALTHY' : 'UPDATING',
          ...(c.error ? { error: c.error } : {}),
          // The version a component runs: the new one once it is healthy;
          // while it rolls out, the one it ran before.
          version: healthy ? c.version : (before[c.name]?.version ?? c.version),
        };
      }
      const errors = [
        ...outcome.components.flatMap((c) => (c.error ? [`${c.name}: ${c.error}`] : [])),
        ...outcome.pruneErrors,
      ];
      const waiting = outcome.components.flatMap((c) => c.waitingFor);
      if (errors.length > 0) {
        state = 'ERROR';
        reason = 'ApplyFailed';
        message = summarize(errors);
      } else if (waiting.length > 0) {
        state = 'UPDATING';
        reason = 'RollingOut';
        message = `waiting for ${waiting.join('; ')}`;
      } else {
        state = 'HEALTHY';
        reason = 'Installed';
        message = `all components healthy (${outcome.components.map((c) => c.name).join(', ') || 'none'})`;
      }
      if (outcome.notes?.length) message = `${message}\n${summarize(outcome.notes)}`;
      break;
    }
  }
  let conditions = prev?.conditions ?? [];
  const ready = state === 'HEALTHY';
  const progressing = state === 'RECONCILING' || state === 'UPDATING';
  const stalled = state === 'ERROR' || state === 'ACTION_REQUIRED';
  if (outcome.kind !== 'ignored') {
    conditions = setCondition(
      conditions,
      cond('Ready', ready, ready ? 'Installed' : reason, message, generation),
      now,
    );
    conditions = setCondition(
      conditions,
      cond(
        'Reconciling',
        progressing,
        progressing ? reason : 'Idle',
        progressing ? message : '',
        generation,
      ),
      now,
    );
    conditions = setCondition(
      conditions,
      cond('Stalled', stalled, stalled ? reason : 'Idle', stalled ? message : '', generation),
      now,
    );
  }
  return {
    status: state,
    message,
    ...(componentStatus ? { componentStatus } : {}),
    observedGeneration: generation,
    conditions,
    // The proxies loop's field: carried over, or the two writers would undo each other.
    ...(prev?.proxies ? { proxies: prev.proxies } : {}),
  };
}

/** True when writing `next` would change nothing. */
export function sameStatus(
  prev: IstioOperatorStatus | undefined,
  next: IstioOperatorStatus,
): boolean {
  return isDeepStrictEqual(prev ?? {}, next);
}
