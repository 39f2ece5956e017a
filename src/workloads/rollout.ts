/** The kinds a restart can act on: those whose pod template `kubectl rollout restart` patches. */
export type RestartableKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** Whether a kind is one the restart acts on. */
export function isRestartable(kind: string): kind is RestartableKind {
  return kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet';
}

/**
 * A restartable workload as the planner reads it: plain data copied out of
 * the API object (see workloadObjectView in from-objects.ts), so the
 * decision stays pure.
 */
export interface WorkloadObjectView {
  namespace: string;
  kind: string;
  name: string;
  labels: Record<string, string>;
  /** metadata.annotations */
  annotations: Record<string, string>;
  /** spec.template.metadata.annotations */
  templateAnnotations: Record<string, string>;
  generation?: number;
  /** status.observedGeneration */
  observedGeneration?: number;
  /** spec.replicas (Deployment/StatefulSet; default 1 when absent) */
  replicas?: number;
  /** Deployment spec (default 600) */
  progressDeadlineSeconds?: number;
  /** The raw status (conditions, updatedReplicas, …, currentRevision/updateRevision, desiredNumberScheduled, updatedNumberScheduled, numberAvailable). */
  status: Record<string, unknown>;
}

/** Where a workload's rollout stands. */
export type RolloutState =
  | { state: 'complete' }
  /** e.g. "2 of 3 updated replicas available" */
  | { state: 'progressing'; message: string }
  /** Deployment Progressing=False reason ProgressDeadlineExceeded */
  | { state: 'failed'; message: string };

/**
 * What `kubectl rollout status` would say, decided the way kubectl does for
 * each kind, so that "the operator waits for the rollout" means what users
 * already check by hand. First the controller must have observed the
 * current generation (a status from before the restart says nothing about
 * it). Deployment: every replica updated, no old replica left, every
 * updated one available; ProgressDeadlineExceeded fails it. StatefulSet:
 * every replica ready and either the update revision current or every
 * replica updated. DaemonSet: every scheduled node's pod updated and
 * available. A kind without a rollout (Job, bare Pod, …) fails: there is
 * nothing to wait for.
 */
export function rolloutState(w: WorkloadObjectView): RolloutState {
  if (!isRestartable(w.kind)) {
    return { state: 'failed', message: `a ${w.kind || 'workload of no kind'} has no rollout` };
  }
  if (w.generation !== undefined && (w.observedGeneration ?? 0) < w.generation) {
    return {
      state: 'progressing',
      message: `waiting for the ${w.kind} controller to observe generation ${w.generation}`,
    };
  }
  const s = w.status;
  if (w.kind === 'Deployment') {
    const deadline = conditions(s).find(
      (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
    );
    if (deadline) {
      const why = typeof deadline.message === 'string' ? `: ${deadline.message}` : '';
      return { state: 'failed', message: `progress deadline exceeded${why}` };
    }
    const replicas = w.replicas ?? 1;
    const updated = num(s, 'updatedReplicas');
    const total = num(s, 'replicas');
    const available = num(s, 'availableReplicas');
    if (updated < replicas) return progressing(`${updated} of ${replicas} replicas updated`);
    if (total > updated) {
      return progressing(`${total - updated} old replica(s) pending termination`);
    }
    if (available < updated) {
      return progressing(`${available} of ${updated} updated replicas available`);
    }
    return { state: 'complete' };
  }
  if (w.kind === 'StatefulSet') {
    const replicas = w.replicas ?? 1;
    const ready = num(s, 'readyReplicas');
    const updated = num(s, 'updatedReplicas');
    if (ready < replicas) return progressing(`${ready} of ${replicas} pods ready`);
    const current = s['currentRevision'];
    const update = s['updateRevision'];
    if (update !== current && updated < replicas) {
      return progressing(`${updated} of ${replicas} pods at the updated revision`);
    }
    return { state: 'complete' };
  }
  const desired = num(s, 'desiredNumberScheduled');
  const updated = num(s, 'updatedNumberScheduled');
  const available = num(s, 'numberAvailable');
  if (updated < desired) return progressing(`${updated} of ${desired} pods updated`);
  if (available < desired) return progressing(`${available} of ${desired} updated pods available`);
  return { state: 'complete' };
}

const progressing = (message: string): RolloutState => ({ state: 'progressing', message });

/** A numeric status field; absent (the API leaves zeros out) reads as 0. */
function num(s: Record<string, unknown>, field: string): number {
  const v = s[field];
  return typeof v === 'number' ? v : 0;
}

function conditions(
  s: Record<string, unknown>,
): { type?: unknown; reason?: unknown; message?: unknown }[] {
  const c = s['conditions'];
  return Array.isArray(c)
    ? c.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object')
    : [];
}
