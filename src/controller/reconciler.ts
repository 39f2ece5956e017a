import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator } from '../api/types.js';
import type { Owner } from '../apply/live.js';
import {
  reconcileFrame,
  type ReconcileLog,
  type ReconcileResult,
} from '../runtime/reconcile-frame.js';
import { finalize } from './finalize.js';
import type { ReconcileContext } from './reconcile-context.js';
import {
  applyDesired,
  applyIncomplete,
  guardVersionChanges,
  judgeReadiness,
  pruneUndesired,
  renderDesired,
  reportStatus,
  resultOf,
} from './reconcile-steps.js';
import { writeStatus } from './write-status.js';
import { FINALIZER, IGNORE_ANNOTATION } from '../api/vocabulary.js';

export type { ReconcileContext };

/**
 * Reconciles one IstioOperator: validate, render, apply in order, prune,
 * judge readiness, write status (only when it changed). Deletion runs the
 * finalizer: everything this IstioOperator owns is deleted except CRDs, then
 * the finalizer is removed.
 */
export async function reconcile(
  key: string,
  ctx: ReconcileContext,
  reconcileID: string,
): Promise<ReconcileResult> {
  const [namespace, name] = key.split('/') as [string, string];
  const owner: Owner = { namespace, name };
  return await reconcileFrame<IstioOperator & KubernetesObject>(
    key,
    {
      finalizer: FINALIZER,
      logField: 'iop',
      get: (namespace, name) => ctx.getIstioOperator(namespace, name),
      isIgnored: (iop) => iop.metadata.annotations?.[IGNORE_ANNOTATION] === 'true',
      ignored: async (iop) => {
        await writeStatus(iop, { kind: 'ignored' }, ctx);
      },
      addFinalizer: async (iop) => {
        await ctx.client.mergePatch({
          apiVersion: iop.apiVersion,
          kind: iop.kind,
          metadata: {
            name,
            namespace,
            finalizers: [...(iop.metadata.finalizers ?? []), FINALIZER],
            resourceVersion: iop.metadata.resourceVersion,
          },
        });
      },
      finalize: (iop, log) => finalize(iop, owner, ctx, log),
      reconcile: (iop, log) => reconcileIstioOperator(iop, owner, ctx, log),
    },
    reconcileID,
  );
}

/**
 * What reconciling one IstioOperator does, inside the frame, step by step
 * (reconcile-steps.ts): render (an invalid spec is terminal, a renderer
 * failure retried), guard version changes, apply in dependency order,
 * prune (only after a complete apply), judge readiness, write status.
 */
export async function reconcileIstioOperator(
  iop: IstioOperator,
  owner: Owner,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<ReconcileResult> {
  const rendered = await renderDesired(iop, ctx, log);
  if ('stop' in rendered) return rendered.stop;
  const manifest = rendered.next;
  const refused = await guardVersionChanges(iop, manifest, owner, ctx, log);
  if (refused) return refused;
  const applied = await applyDesired(iop, manifest, owner, ctx, log);
  if ('stop' in applied) return applied.stop;
  const outcome = applied.next;
  const pruneErrors = applyIncomplete(outcome)
    ? []
    : await pruneUndesired(iop, manifest, owner, ctx, log);
  const components = await judgeReadiness(manifest, outcome, ctx);
  await reportStatus(iop, outcome, components, pruneErrors, ctx, log);
  return resultOf(outcome, components, pruneErrors, ctx.requeueWhileRollingMs);
}
