import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient, ObjectRef } from '../../src/kube/client.js';

/**
 * Sends `updates` spec changes to an IstioOperator as fast as the API server
 * takes them: update i sets meshConfig.accessLogFile to `logFile(i)`, for
 * i = 1..updates; all but the last with `inFlight` requests at a time, then
 * the last alone, so that the final value is unambiguous. Shared by the
 * burst test and bench/burst.
 */
export async function sendSpecBurst(
  client: KubeClient,
  ref: ObjectRef,
  logFile: (i: number) => string,
  updates: number,
  inFlight: number,
): Promise<void> {
  const update = (i: number) =>
    client.mergePatch({
      ...ref,
      spec: { meshConfig: { accessLogFile: logFile(i) } },
    } as KubernetesObject);
  let next = 1;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < updates) await update(next++);
    }),
  );
  await update(updates);
}
