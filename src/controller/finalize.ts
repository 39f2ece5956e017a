import type { IstioOperator } from '../api/types.js';
import { watchedKind } from '../apply/kinds.js';
import { writtenByOperator, type Owner } from '../apply/live.js';
import { prune } from '../apply/prune.js';
import type { ReconcileLog, ReconcileResult } from '../runtime/reconcile-frame.js';
import type { ReconcileContext } from './reconcile-context.js';
import { describeRevisionUsers, revisionUsers, servedRevision } from './upgrade.js';
import { writeStatus } from './write-status.js';
import { DELETE_CRDS_ANNOTATION, FINALIZER, FORCE_DELETE_ANNOTATION } from '../api/vocabulary.js';

/**
 * The uninstall, when an IstioOperator is being deleted: everything it owns
 * is deleted except CRDs (unless annotated), once no workload uses the
 * revision it serves (unless forced); then the finalizer is removed.
 */
export async function finalize(
  iop: IstioOperator,
  owner: Owner,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<ReconcileResult> {
  if (!(iop.metadata.finalizers ?? []).includes(FINALIZER)) return { result: 'done' };
  // Everything this IstioOperator owns, except what is never pruned (CRDs hold
  // users' data) unless the user opted in explicitly.
  const deleteCrds = iop.metadata.annotations?.[DELETE_CRDS_ANNOTATION] === 'true';
  const owned = ctx.live
    .ownedBy(owner)
    .filter((o) => deleteCrds || !watchedKind(o.apiVersion ?? '', o.kind ?? '')?.neverPrune)
    // Only what we wrote: Endpoints copied from our Services carry our labels too.
    .filter(writtenByOperator);
  const served = servedRevision(owned);
  if (served && iop.metadata.annotations?.[FORCE_DELETE_ANNOTATION] !== 'true') {
    const users = await revisionUsers(ctx.client, served.selectors, owned);
    if (users.length > 0) {
      const message = describeRevisionUsers(served.revision, users);
      log.info('uninstall waits: revision in use', {
        revision: served.revision,
        users: users.length,
      });
      if (await writeStatus(iop, { kind: 'revision-in-use', message }, ctx)) {
        ctx.event?.(iop, 'Warning', 'RevisionInUse', message);
      }
      // Namespaces and pods are not watched: look again in a while.
      return { result: 'requeueAfter', ms: ctx.requeueWhileRollingMs ?? 5000 };
    }
  }
  const remaining = owned.filter((o) => !o.metadata?.deletionTimestamp);
  if (remaining.length > 0) {
    const r = await prune(ctx.client, remaining);
    ctx.onPruned?.(r.deleted.length);
    if (r.deleted.length > 0) log.info('uninstalled', { objects: r.deleted });
    if (r.errors.length > 0) {
      // Reported, and retried with backoff: deletion never silently hangs.
      await writeStatus(iop, { kind: 'uninstall-failed', messages: r.errors }, ctx);
      return { result: 'error', error: r.errors.join('; ') };
    }
  }
  if (owned.length > 0) {
    // Wait for the deletions to show up in the caches before letting go.
    return { result: 'requeueAfter', ms: 500 };
  }
  await ctx.client.mergePatch({
    apiVersion: iop.apiVersion,
    kind: iop.kind,
    metadata: {
      name: owner.name,
      namespace: owner.namespace,
      finalizers: (iop.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
      resourceVersion: iop.metadata.resourceVersion,
    },
  });
  log.info('uninstalled; finalizer removed', { crds: deleteCrds ? 'deleted' : 'kept' });
  ctx.event?.(
    iop,
    'Normal',
    'Uninstalled',
    `every object this IstioOperator owned was deleted (CRDs ${deleteCrds ? 'too, as annotated' : 'are kept'})`,
  );
  return { result: 'done' };
}
