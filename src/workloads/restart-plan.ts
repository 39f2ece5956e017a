import {
  LABELS,
  RESTARTED_AT_ANNOTATION,
  RESTARTED_FOR_ANNOTATION,
  RESTART_OPT_OUT_ANNOTATION,
} from '../api/vocabulary.js';
import { formatDuration, formatRestartPolicy, type RestartPolicy } from './restart-policy.js';
import { isRestartable, rolloutState, type WorkloadObjectView } from './rollout.js';
import type { StaleWorkload } from './stale.js';
import { FIRST_WORKLOADS } from './summary.js';
import type { WorkloadRef } from './types.js';

/** What a restart moves workloads to: a revision and the proxy version it injects. */
export interface RestartTarget {
  revision: string;
  version: string;
}

/** "canary@1.31.4" — the value of RESTARTED_FOR_ANNOTATION. */
export function restartMarker(t: RestartTarget): string {
  return `${t.revision}@${t.version}`;
}

/** `${namespace}/${kind}/${name}`: how status lists a workload in flight. */
export type WorkloadKey = string;

/** A workload's key. */
export function workloadKey(w: { namespace: string; kind: string; name: string }): WorkloadKey {
  return `${w.namespace}/${w.kind}/${w.name}`;
}

/** Why the restart leaves a stale workload alone. */
export type SkipReason =
  'bare pod' | 'opted out' | 'managed by the operator' | 'not restartable' | 'not found';

/** Everything one restart decision reads: the caller fetches it, the planner only decides. */
export interface PlanInput {
  policy: RestartPolicy;
  target: RestartTarget;
  /** The revision's stale workloads, in report order (staleWorkloads().workloads). */
  stale: readonly StaleWorkload[];
  /** The workloads the caller fetched: every stale Deployment/StatefulSet/DaemonSet and every previous in-flight key; null = 404. */
  objects: ReadonlyMap<WorkloadKey, WorkloadObjectView | null>;
  /** Keys restarted by earlier reconciles whose rollout was still running (persisted in status; may be empty after a status loss). */
  inFlight: readonly WorkloadKey[];
  /** When the last batch completed (ms since epoch), from status; undefined = never/unknown. */
  lastBatchDoneAt?: number;
  /** The IstioOperator is HEALTHY for its current generation. */
  controlPlaneHealthy: boolean;
  now: number;
}

/** What to do now; the caller does exactly this and persists inFlight (and lastBatchDoneAt). */
export interface PlanDecision {
  phase: 'RollingOut' | 'Paused' | 'WaitingForControlPlane' | 'Stopped' | 'Done';
  /** One line for status and Events, naming workloads and what is waited for. */
  message: string;
  /** Keys still rolling out after this decision, including the ones in `restart`; sorted. */
  inFlight: WorkloadKey[];
  /** Restart these now (the caller patches them with restartPatch, then records them in flight). */
  restart: WorkloadRef[];
  /** Workloads the restart never touches, with why (the caller reports them). */
  skipped: { workload: WorkloadRef; reason: SkipReason }[];
  /** The in-flight rollout that failed or timed out: no new batch starts while it stands. */
  failed?: { workload: WorkloadRef; message: string };
  /** True when the batch in flight at the start of this plan has now completed: the caller sets lastBatchDoneAt = now. */
  batchCompleted: boolean;
  /** Look again after this many ms (undefined when Done). */
  requeueAfterMs?: number;
}

/** Requeue while rollouts run: short, since nothing else wakes the reconcile when a Deployment progresses. */
export const ROLLING_REQUEUE_MS = 2000;
/** Requeue while waiting for a HEALTHY control plane (its own status changes wake the reconcile too). */
export const WAITING_REQUEUE_MS = 5000;
/**
 * Requeue while stopped on a failed rollout: it may still complete, or a
 * user fixes it, and the restart should go on soon after (one list call per
 * kind involved every 10 s while it stands).
 */
export const STOPPED_REQUEUE_MS = 10_000;
/** A rollout's timeout when neither the policy nor the workload sets one (kubectl's Deployment default). */
export const DEFAULT_ROLLOUT_TIMEOUT_MS = 600_000;

/** A marked workload still rolling out, and where it stands. */
interface Rolling {
  key: WorkloadKey;
  ref: WorkloadRef;
  /** What is waited for, for the message. */
  waiting: string;
  failure?: string;
}

/**
 * Decides one step of the restart of a revision's stale workloads, from
 * scratch on every reconcile (level-based: the only memory is the marker on
 * each restarted pod template and the small state the caller persists).
 * Restarts go in batches of `policy.batch`, in report order; a batch starts
 * only when no earlier restart is still rolling out, the pause after the
 * last batch has passed and the control plane is HEALTHY. A workload whose
 * template carries this target's marker is never restarted again, so an
 * operator restart, a leader change or a lost status restarts nothing
 * twice. A failed or timed-out rollout stops the restart until it completes
 * (a bad proxy should not reach the next batch). Pure: `now` is the clock.
 */
export function planRestart(input: PlanInput): PlanDecision {
  const marker = restartMarker(input.target);
  const staleByKey = new Map(input.stale.map((w) => [workloadKey(w), w]));

  const skipped: PlanDecision['skipped'] = [];
  const skippedKeys = new Set<WorkloadKey>();
  const candidates: WorkloadRef[] = [];
  for (const w of input.stale) {
    const key = workloadKey(w);
    const reason = skipReason(w, input.objects.get(key));
    if (reason) {
      skipped.push({ workload: ref(w), reason });
      skippedKeys.add(key);
    } else if (!isMarked(input.objects.get(key)!, marker)) {
      candidates.push(ref(w));
    }
  }

  const rolling: Rolling[] = [];
  for (const key of [...new Set([...input.inFlight, ...staleByKey.keys()])].sort(cmp)) {
    if (skippedKeys.has(key)) continue;
    const obj = input.objects.get(key);
    if (!obj || !isRestartable(obj.kind) || !isMarked(obj, marker)) continue;
    const r = inFlightState(obj, staleByKey.get(key), input.policy, input.now);
    if (r) rolling.push(r);
  }
  const failedOne = rolling.find((r) => r.failure !== undefined);
  const failed = failedOne && { workload: failedOne.ref, message: failedOne.failure! };
  const inFlight = rolling.map((r) => r.key);
  const batchCompleted = input.inFlight.length > 0 && inFlight.length === 0 && !failed;
  const base = { inFlight, restart: [] as WorkloadRef[], skipped, batchCompleted };
  const left = candidates.length;

  if (inFlight.length === 0 && left === 0) {
    return { ...base, phase: 'Done', message: doneMessage(skipped) };
  }
  if (!input.controlPlaneHealthy) {
    const parts = ['waiting for the control plane to be HEALTHY'];
    if (left > 0) parts[0] += ` before restarting ${left} more workload(s) for ${marker}`;
    if (failed) parts.push(failed.message);
    else if (rolling.length > 0) parts.push(rollingText(rolling));
    return {
      ...base,
      phase: 'WaitingForControlPlane',
      message: parts.join('; '),
      ...(failed ? { failed } : {}),
      requeueAfterMs: WAITING_REQUEUE_MS,
    };
  }
  if (failed) {
    return {
      ...base,
      phase: 'Stopped',
      message: `${failed.message}; no further batch starts until it completes${leftText(left)}`,
      failed,
      requeueAfterMs: STOPPED_REQUEUE_MS,
    };
  }
  if (rolling.length > 0) {
    return {
      ...base,
      phase: 'RollingOut',
      message: `restart for ${marker}: ${rollingText(rolling)}${leftText(left)}`,
      requeueAfterMs: ROLLING_REQUEUE_MS,
    };
  }
  // A batch that completed in this very plan starts the pause now (the caller records it as such).
  const doneAt = batchCompleted ? input.now : input.lastBatchDoneAt;
  if (doneAt !== undefined && input.now < doneAt + input.policy.pauseMs) {
    const remaining = doneAt + input.policy.pauseMs - input.now;
    return {
      ...base,
      phase: 'Paused',
      message: `pausing ${formatDuration(remaining)} before the next batch (${formatRestartPolicy(input.policy)})${leftText(left)}`,
      requeueAfterMs: remaining,
    };
  }
  const restart = candidates.slice(0, input.policy.batch);
  const keys = restart.map(workloadKey);
  return {
    ...base,
    phase: 'RollingOut',
    message: `restarting ${names(keys)} for ${marker}${leftText(left - restart.length)}`,
    inFlight: [...inFlight, ...keys].sort(cmp),
    restart,
    requeueAfterMs: ROLLING_REQUEUE_MS,
  };
}

/**
 * The strategic/merge patch body that restarts a workload the way `kubectl
 * rollout restart` does (a new restartedAt in the pod template), plus the
 * marker that keeps the restart from ever picking it again for this target.
 */
export function restartPatch(target: RestartTarget, now: number): object {
  return {
    spec: {
      template: {
        metadata: {
          annotations: {
            [RESTARTED_AT_ANNOTATION]: new Date(now).toISOString(),
            [RESTARTED_FOR_ANNOTATION]: restartMarker(target),
          },
        },
      },
    },
  };
}

/** Why a stale workload is never restarted; undefined when it may be. `obj` undefined (not fetched) reads as not found. */
function skipReason(
  w: WorkloadRef,
  obj: WorkloadObjectView | null | undefined,
): SkipReason | undefined {
  if (w.kind === 'Pod') return 'bare pod';
  if (!isRestartable(w.kind)) return 'not restartable';
  if (!obj) return 'not found';
  if (obj.annotations[RESTART_OPT_OUT_ANNOTATION] === 'never') return 'opted out';
  if (obj.labels[LABELS.managed] !== undefined) return 'managed by the operator';
  return undefined;
}

function isMarked(obj: WorkloadObjectView, marker: string): boolean {
  return obj.templateAnnotations[RESTARTED_FOR_ANNOTATION] === marker;
}

/**
 * A marked workload's place in the restart: undefined when done (rollout
 * complete and no pod left on an old proxy), else what it waits for and,
 * when it failed or ran out of time, why.
 */
function inFlightState(
  obj: WorkloadObjectView,
  stale: StaleWorkload | undefined,
  policy: RestartPolicy,
  now: number,
): Rolling | undefined {
  const state = rolloutState(obj);
  if (state.state === 'complete' && !stale) return undefined;
  const r = ref(obj);
  const key = workloadKey(r);
  const what = `${obj.kind} ${obj.namespace}/${obj.name}`;
  const waiting =
    state.state === 'complete'
      ? `rollout complete, ${stale!.stalePods} pod(s) still on an old proxy`
      : state.message;
  if (state.state === 'failed') {
    return { key, ref: r, waiting, failure: `rollout of ${what} failed: ${state.message}` };
  }
  const timeout =
    policy.timeoutMs ??
    (obj.kind === 'Deployment'
      ? (obj.progressDeadlineSeconds ?? 600) * 1000
      : DEFAULT_ROLLOUT_TIMEOUT_MS);
  const restartedAt = Date.parse(obj.templateAnnotations[RESTARTED_AT_ANNOTATION] ?? '');
  if (Number.isNaN(restartedAt)) {
    // Someone removed or rewrote it: the rollout cannot be timed, and waiting
    // without a bound could stall the restart with no word of why.
    return {
      key,
      ref: r,
      waiting,
      failure: `${what} carries no readable ${RESTARTED_AT_ANNOTATION}, so its rollout cannot be timed; restart it with kubectl rollout restart`,
    };
  }
  if (now - restartedAt <= timeout) return { key, ref: r, waiting };
  const failure =
    state.state === 'complete'
      ? `rollout of ${what} completed but ${stale!.stalePods} pod(s) still run an old proxy — is the namespace still selected by this revision's injector?`
      : `rollout of ${what} did not complete within ${formatDuration(timeout)}: ${state.message}`;
  return { key, ref: r, waiting, failure };
}

const ref = (w: WorkloadRef): WorkloadRef => ({
  namespace: w.namespace,
  kind: w.kind,
  name: w.name,
});

/** `waiting for 2 rollout(s): ns/Deployment/a (1 of 2 replicas updated), …` — the first few named. */
function rollingText(rolling: Rolling[]): string {
  const shown = rolling.slice(0, FIRST_WORKLOADS).map((r) => `${r.key} (${r.waiting})`);
  const more =
    rolling.length > FIRST_WORKLOADS ? `, and ${rolling.length - FIRST_WORKLOADS} more` : '';
  return `waiting for ${rolling.length} rollout(s): ${shown.join(', ')}${more}`;
}

function names(keys: WorkloadKey[]): string {
  const more = keys.length > FIRST_WORKLOADS ? `, and ${keys.length - FIRST_WORKLOADS} more` : '';
  return `${keys.slice(0, FIRST_WORKLOADS).join(', ')}${more}`;
}

const leftText = (n: number) => (n > 0 ? `; ${n} workload(s) left to restart` : '');

/** How each skip reason is counted in the Done message: singular and plural. */
const SKIP_NOUNS: Record<SkipReason, [string, string]> = {
  'bare pod': ['bare pod', 'bare pods'],
  'opted out': ['opted-out workload', 'opted-out workloads'],
  'managed by the operator': [
    'workload managed by the operator',
    'workloads managed by the operator',
  ],
  'not restartable': ['workload of a kind without rollouts', 'workloads of kinds without rollouts'],
  'not found': ['workload not found', 'workloads not found'],
};

function doneMessage(skipped: PlanDecision['skipped']): string {
  const head = 'every restartable workload runs the wanted proxy';
  const counts = new Map<SkipReason, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const parts = (Object.keys(SKIP_NOUNS) as SkipReason[])
    .filter((r) => counts.has(r))
    .map((r) => {
      const n = counts.get(r)!;
      return `${n} ${SKIP_NOUNS[r][n === 1 ? 0 : 1]}`;
    });
  if (parts.length === 0) return head;
  const list =
    parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${head}; ${list} left as they are`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
