import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator, RestartStatus } from '../api/types.js';
import { RESTART_WORKLOADS_ANNOTATION } from '../api/vocabulary.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { ResourceType } from '../kube/resource.js';
import type { ReconcileLog } from '../runtime/reconcile-frame.js';
import { workloadObjectView, type WorkloadObject } from '../workloads/from-objects.js';
import {
  planRestart,
  restartMarker,
  restartPatch,
  workloadKey,
  type WorkloadKey,
} from '../workloads/restart-plan.js';
import { formatRestartPolicy, parseRestartPolicy } from '../workloads/restart-policy.js';
import type { WorkloadObjectView } from '../workloads/rollout.js';
import type { RevisionWorkloads } from '../workloads/stale.js';
import type { TrackedEventRecorder } from './events.js';

/** The kinds a restart acts on, as the API serves them. */
const RESTARTABLE: Record<string, ResourceType> = {
  Deployment: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
  },
  StatefulSet: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    namespaced: true,
  },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
};

/** What the restart step needs of the operator. */
export interface RestartDeps {
  client: KubeClient;
  event: TrackedEventRecorder;
  now(): number;
}

/** The restart's new state, and when to look again (undefined: the usual scan interval). */
export interface RestartOutcome {
  status?: RestartStatus;
  requeueAfterMs?: number;
}

const kindOfKey = (key: WorkloadKey) => key.split('/')[1] ?? '';
/** Milliseconds kept: the pause counts from here, and a second's rounding would shorten it. */
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * One step of the restart an IstioOperator opted into: reads the rollouts of
 * the stale workloads and of those in flight (one list call per kind
 * involved, whatever their number), lets the pure planner decide
 * (workloads/restart-plan.ts), restarts the batch it picks the way
 * `kubectl rollout restart` does, and records an Event per workload. All
 * state lives in the cluster — the marker on each restarted pod template and
 * `status.proxies.restart` — so a new leader resumes where the last one
 * stopped, and never restarts a workload twice for the same target.
 */
export async function restartStep(
  iop: IstioOperator,
  report: RevisionWorkloads,
  deps: RestartDeps,
  log: ReconcileLog,
): Promise<RestartOutcome> {
  const value = iop.metadata.annotations?.[RESTART_WORKLOADS_ANNOTATION];
  if (value === undefined) return {};
  const parsed = parseRestartPolicy(value);
  if (parsed.off) return {};
  if (!parsed.policy) {
    return { status: { phase: 'Invalid', message: parsed.error ?? 'invalid policy' } };
  }
  const policy = parsed.policy;
  const target = { revision: report.revision, version: report.version };
  const marker = restartMarker(target);
  const prev = iop.status?.proxies?.restart;
  const same = prev?.target === marker;
  const inFlight = same ? (prev.inFlight ?? []) : [];
  const now = deps.now();

  const keys = new Set<WorkloadKey>([...report.workloads.map(workloadKey), ...inFlight]);
  const objects = new Map<WorkloadKey, WorkloadObjectView | null>();
  const kinds = new Set([...keys].map(kindOfKey).filter((k) => k in RESTARTABLE));
  for (const kind of [...kinds].sort()) {
    const listed = await deps.client.list<KubernetesObject>(RESTARTABLE[kind]!);
    const byKey = new Map(
      listed.map((o) => {
        // List items carry no kind: it is given.
        const v = workloadObjectView(o as WorkloadObject, kind);
        return [workloadKey(v), v] as const;
      }),
    );
    for (const key of keys) if (kindOfKey(key) === kind) objects.set(key, byKey.get(key) ?? null);
  }

  const healthy =
    iop.status?.status === 'HEALTHY' && iop.status.observedGeneration === iop.metadata.generation;
  const plan = planRestart({
    policy,
    target,
    stale: report.workloads,
    objects,
    inFlight,
    ...(same && prev.lastBatchDoneAt ? { lastBatchDoneAt: Date.parse(prev.lastBatchDoneAt) } : {}),
    controlPlaneHealthy: healthy,
    now,
  });

  const batch = plan.restart.map((w) => `${w.kind} ${w.namespace}/${w.name}`);
  for (const w of plan.restart) {
    try {
      await deps.client.mergePatch({
        apiVersion: 'apps/v1',
        kind: w.kind,
        metadata: { name: w.name, namespace: w.namespace },
        ...restartPatch(target, now),
      } as KubernetesObject);
    } catch (err) {
      // Gone since the list: nothing to restart. Anything else fails the step;
      // the ones patched already carry the marker and count as in flight.
      if (isNotFound(err)) continue;
      throw err;
    }
    log.info('restarted workload', { workload: workloadKey(w), target: marker });
    deps.event(
      iop,
      'Normal',
      'WorkloadRestarted',
      `restarted ${w.kind} ${w.namespace}/${w.name} for ${marker} (batch: ${batch.join(', ')})`,
    );
  }
  if (plan.failed && (prev?.phase !== 'Stopped' || prev.message !== plan.message)) {
    deps.event(iop, 'Warning', 'RestartStopped', plan.message);
  }
  const restarted = (same ? (prev.restarted ?? 0) : 0) + plan.restart.length;
  if (plan.phase === 'Done' && prev?.phase !== 'Done' && restarted > 0) {
    deps.event(iop, 'Normal', 'RestartDone', `${plan.message} (${restarted} restarted)`);
  }
  const lastBatchDoneAt = plan.batchCompleted ? iso(now) : same ? prev.lastBatchDoneAt : undefined;
  return {
    status: {
      policy: formatRestartPolicy(policy),
      phase: plan.phase,
      message: plan.message,
      target: marker,
      ...(plan.inFlight.length ? { inFlight: plan.inFlight } : {}),
      restarted,
      ...(lastBatchDoneAt ? { lastBatchDoneAt } : {}),
    },
    ...(plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {}),
  };
}
