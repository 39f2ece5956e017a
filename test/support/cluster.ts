import type * as k8s from '@kubernetes/client-node';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type RunningControlPlane } from '../../src/cluster/controlplane.js';
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
