import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator } from '../api/types.js';
import type { ReconcileContext } from './reconcile-context.js';
import { computeStatus, sameStatus, type ReconcileOutcome } from './status.js';

/**
 * Writes the status for `outcome` if it differs from the current one; true
 * when it wrote. `iop` is kept in step (status and resourceVersion), so the
 * later steps of a reconcile compare against what was just written.
 */
export async function writeStatus(
  iop: IstioOperator,
  outcome: ReconcileOutcome,
  ctx: Pick<ReconcileContext, 'client' | 'now'>,
): Promise<boolean> {
  const next = computeStatus(iop.status, iop.metadata.generation ?? 0, outcome, ctx.now());
  if (sameStatus(iop.status, next)) return false;
  const body = { ...iop, status: next } as unknown as KubernetesObject;
  const written = await ctx.client.replaceStatus(body);
  iop.status = next;
  iop.metadata.resourceVersion = written.metadata?.resourceVersion ?? iop.metadata.resourceVersion;
  return true;
}
