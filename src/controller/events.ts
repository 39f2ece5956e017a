import type { IstioOperator } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import {
  eventRecorder,
  type EventRecorder as RuntimeEventRecorder,
  type TrackedEventRecorder as RuntimeTrackedEventRecorder,
} from '../runtime/events.js';

/** Why an Event is recorded on an IstioOperator. */
export type EventReason =
  | 'Applied'
  | 'Pruned'
  | 'Invalid'
  /** Rendering a valid spec failed: the operator's fault (retried). */
  | 'RenderFailed'
  | 'Conflict'
  | 'Failed'
  | 'Uninstalled'
  | 'VersionSkew'
  | 'RevisionInUse'
  /** CRDs newer or richer than ours were left as they are (apply/crd-guard.ts). */
  | 'CRDsKept'
  /** The restart of stale workloads (proxies-restart.ts): one per workload restarted. */
  | 'WorkloadRestarted'
  /** A restarted workload's rollout failed or timed out: no further batch starts. */
  | 'RestartStopped'
  /** Every restartable workload runs the revision's proxy. */
  | 'RestartDone';

/** Records a Kubernetes Event on an IstioOperator. */
export type EventRecorder = RuntimeEventRecorder<EventReason, IstioOperator>;

/** An EventRecorder that also says how many Events are still being sent. */
export type TrackedEventRecorder = RuntimeTrackedEventRecorder<EventReason, IstioOperator>;

/** The operator's Events (source `istio-operator`), best effort and in the background. */
export function operatorEvents(client: KubeClient): TrackedEventRecorder {
  return eventRecorder(client, 'istio-operator');
}
