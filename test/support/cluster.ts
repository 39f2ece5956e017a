import type * as k8s from '@kubernetes/client-node';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  controlPlanesStartedHere,
  startControlPlane,
  type RunningControlPlane,
} from '../../src/cluster/controlplane.js';
import { logTail } from '../../src/cluster/process.js';

/**
 * The one control plane of a test run (full mode: controllers, scheduler and
 * kwok nodes). Started on first use by an integration test, torn down by the
 * root hook in hooks.ts — also on failure and on Ctrl-C — so unit-only runs
 * never pay for it.
 */
let shared: Promise<RunningControlPlane> | undefined;
let current: RunningControlPlane | undefined;

/** Starts (once) and returns the shared control plane of this test run. */
export async function useCluster(): Promise<RunningControlPlane> {
  shared ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'istio-operator-test-'));
    const t0 = Date.now();
    const cp = await startControlPlane({
      dir,
      mode: 'full',
      onProgress: (l) => process.stderr.write(`      [control plane] ${l}\n`),
    });
    current = cp;
    process.stderr.write(
      `      [control plane] up in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${cp.server} (logs in ${dir}/logs)\n`,
    );
    return cp;
  })();
  return await shared;
}

/** Suites' own control planes still running (killed with the shared one on exit). */
const owned = new Set<RunningControlPlane>();

/**
 * Every control plane this test process started and has not stopped: the
 * shared one, the suites' own, and those a test started with
 * startControlPlane directly.
 */
export function runningClusters(): RunningControlPlane[] {
  const all = [...(current ? [current] : []), ...owned, ...controlPlanesStartedHere()];
  return [...new Map(all.map((cp) => [cp.dir, cp])).values()];
}

/**
 * A control plane of the calling suite's own, for a suite whose objects the
 * API server acts on cluster-wide: the real istiod's tests create pods in
 * injection-labelled namespaces and Istio config, which every webhook
 * configuration that other files' IstioOperators left in the shared cluster
 * would also be asked about (and refused: those istiods do not run here).
 * The caller stops it in its `after` hook.
 */
export async function ownCluster(
  name: string,
  /** Address ranges of its own (a cluster of a multi-cluster mesh). */
  ranges: { serviceCidr?: string; podCidr?: string } = {},
): Promise<RunningControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), `istio-operator-${name}-`));
  const t0 = Date.now();
  const cp = await startControlPlane({
    dir,
    mode: 'full',
    ...ranges,
    onProgress: (l) => process.stderr.write(`      [${name} control plane] ${l}\n`),
  });
  owned.add(cp);
  const stop = cp.stop.bind(cp);
  cp.stop = async (opts) => {
    owned.delete(cp);
    await stop(opts);
  };
  process.stderr.write(
    `      [${name} control plane] up in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${cp.server} (logs in ${dir}/logs)\n`,
  );
  return cp;
}

/** Admin KubeConfig for the shared control plane. */
export async function kubeConfig(): Promise<k8s.KubeConfig> {
  return (await useCluster()).kubeConfig();
}

/** The running control plane, if a test started one. */
export function startedCluster(): RunningControlPlane | undefined {
  return current;
}

/** Stops the shared control plane, if any (used by the root hooks). */
export async function stopSharedCluster(): Promise<void> {
  const cp = current;
  current = undefined;
  shared = undefined;
  if (cp) await cp.stop();
}

/** The tail of every control-plane log, for a failing test's output. */
export async function controlPlaneLogs(lines = 20): Promise<string> {
  const cp = current;
  if (!cp) return '';
  const dir = join(cp.dir, 'logs');
  const parts: string[] = [];
  for (const f of (await readdir(dir)).sort()) {
    parts.push(
      `--- ${join(dir, f)} (last ${lines} lines) ---\n${await logTail(join(dir, f), lines)}`,
    );
  }
  return parts.join('\n');
}
