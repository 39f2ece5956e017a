import type { ComponentName } from '../translate/plan.js';
import { describeObject, type LiveState } from './live.js';
import { workloadReady } from './readiness.js';
import { LABELS } from '../api/vocabulary.js';
import { compareVersions, parseVersion } from '../releases/version.js';

/**
 * A component held back until a workload has rolled out (upgrades: gateways
 * wait for their istiod). The caller decides, before the apply, which
 * component waits for which workload and what it would upgrade; the apply
 * judges it just before the component's turn, against the live state that
 * includes what it has written so far: an istiod written a moment earlier in
 * the same apply has not rolled out yet.
 */
export interface RolloutHold {
  component: ComponentName;
  /** The workload waited for; nothing is held while it does not exist. */
  workload: { apiVersion: string; kind: string; namespace: string; name: string };
  /** What the component's objects are, in messages (`gateway`). */
  role: string;
  /** The component's objects that change, described, each with the version it moves to. */
  upgrading: readonly { object: string; version: string | undefined }[];
}

/**
 * Why `hold` keeps its component back now, or undefined to go ahead: the
 * workload exists and has not finished rolling out, or runs an older
 * version than one of the upgraded objects moves to.
 */
export function holdReason(hold: RolloutHold, live: LiveState): string | undefined {
  const { apiVersion, kind, namespace, name } = hold.workload;
  const workload = live.get(apiVersion, kind, namespace, name);
  if (!workload || hold.upgrading.length === 0) return undefined;
  const waiting = `waiting for ${describeObject(workload)} to finish rolling out before upgrading ${hold.upgrading.map((u) => u.object).join(', ')}`;
  if (!workloadReady(workload).ready) return waiting;
  const runs = workload.metadata?.labels?.[LABELS.version];
  const running = parseVersion(runs ?? '');
  for (const u of hold.upgrading) {
    const next = parseVersion(u.version ?? '');
    if (running && next && compareVersions(next, running) > 0)
      return `${waiting} (it runs ${runs}; the ${hold.role} moves to ${u.version})`;
  }
  return undefined;
}

/** The holds on `component` (judged in order; the first reason wins). */
export function holdsOn(
  holds: readonly RolloutHold[] | undefined,
  component: ComponentName,
): RolloutHold[] {
  return (holds ?? []).filter((h) => h.component === component);
}
