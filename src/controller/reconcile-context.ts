import type { IstioOperator } from '../api/types.js';
import type { LiveState } from '../apply/live.js';
import type { KubeClient } from '../kube/client.js';
import type { render } from './desired.js';
import type { EventRecorder } from './events.js';

/** What a reconcile needs from the running operator. */
export interface ReconcileContext {
  client: KubeClient;
  live: LiveState;
  /** The cached IstioOperator, or undefined once it is gone. */
  getIstioOperator(namespace: string, name: string): IstioOperator | undefined;
  /**
   * Every IstioOperator the caches hold, of every revision, read-only: which
   * objects the others render decides hand-overs (see applyManifest's
   * handOvers) and keeps prune from deleting what another one takes over.
   */
  otherIstioOperators?(): readonly IstioOperator[];
  /** Clock for condition transition times. */
  now(): string;
  /** Delay between readiness checks while rolling out. Default 5 s. */
  requeueWhileRollingMs?: number;
  /** Told how many objects each component wrote and how many were deleted (metrics). */
  onApplied?(component: string, count: number): void;
  onPruned?(count: number): void;
  /** Records Events on the IstioOperator (Applied, Pruned, Invalid, Conflict, Failed, Uninstalled). */
  event?: EventRecorder;
  /** The renderer (desired.ts `render`); replaceable to exercise a renderer failure. */
  render?: typeof render;
}
