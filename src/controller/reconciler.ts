import type { KubernetesObject } from '@kubernetes/client-node';
import {
  formatDiagnostic,
  IstioOperatorValidationError,
  renderFailureKind,
} from '../api/errors.js';
import type { IstioOperator } from '../api/types.js';
import { applyManifest } from '../apply/applier.js';
import { describeKept } from '../apply/crd-guard.js';
import { watchedKind } from '../apply/kinds.js';
import { writtenByOperator, type LiveState, type Owner } from '../apply/live.js';
import { prune, pruneCandidates } from '../apply/prune.js';
import { componentReadiness } from '../apply/readiness.js';
import { markTakeover, remoteTakeoverWaits } from './remote-takeover.js';
import type { KubeClient } from '../kube/client.js';
import {
  reconcileFrame,
  type ReconcileLog,
  type ReconcileResult,
} from '../runtime/reconcile-frame.js';
import type { Manifest } from '../render/manifest.js';
import type { ComponentName } from '../translate/plan.js';
import { handOvers, render, wantedByAnother } from './desired.js';
import type { EventRecorder } from './events.js';
import {
  computeStatus,
  MAX_MESSAGES,
  sameStatus,
  summarize,
  type ReconcileOutcome,
} from './status.js';
import {
  describeRevisionUsers,
  describeSkew,
  gatewayHolds,
  refusedVersionChanges,
  revisionUsers,
  servedRevision,
} from './upgrade.js';
import {
  ALLOW_VERSION_SKEW_ANNOTATION,
  DELETE_CRDS_ANNOTATION,
  FINALIZER,
  FORCE_DELETE_ANNOTATION,
  IGNORE_ANNOTATION,
  LABELS,
} from '../api/vocabulary.js';

/**
 * How often a component whose only trouble is a kind the cluster does not
 * serve is applied again, should the CRD's arrival go unnoticed.
 */
const MISSING_KIND_RETRY_MS = 5 * 60_000;

/** Components every IstioOperator installs alike (the CRDs): never a conflict (see applyManifest). */
const SHARED: readonly ComponentName[] = ['Base'];

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
 * What reconciling one IstioOperator does, inside the frame: render (an
 * invalid spec is terminal, a renderer failure retried), guard version
 * changes, apply in dependency order, report events, prune, judge
 * readiness, write status.
 */
async function reconcileIstioOperator(
  iop: IstioOperator,
  owner: Owner,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<ReconcileResult> {
  let manifest: Manifest;
  try {
    manifest = (ctx.render ?? render)(iop, ctx.otherIstioOperators?.() ?? []);
  } catch (err) {
    if (renderFailureKind(err) === 'internal') {
      // Not the spec's fault: say it is ours, and retry (a transient
      // failure, or a fixed operator, then converges without a spec change).
      const message = (err as Error).message ?? String(err);
      log.error('rendering failed (operator bug)', {
        error: message,
        stack: (err as Error).stack?.split('\n').slice(0, 6).join('\n'),
      });
      if (await writeStatus(iop, { kind: 'render-failed', message }, ctx)) {
        ctx.event?.(iop, 'Warning', 'RenderFailed', message);
      }
      return { result: 'error', error: `render: ${message}` };
    }
    const messages =
      err instanceof IstioOperatorValidationError
        ? err.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)
        : [(err as Error).message];
    log.warn('invalid IstioOperator', {
      errors: messages.slice(0, MAX_MESSAGES),
      total: messages.length,
    });
    if (await writeStatus(iop, { kind: 'invalid', messages }, ctx)) {
      ctx.event?.(iop, 'Warning', 'Invalid', summarize(messages));
    }
    return { result: 'terminal' };
  }

  if (iop.metadata.annotations?.[ALLOW_VERSION_SKEW_ANNOTATION] !== 'true') {
    const skews = refusedVersionChanges(manifest, ctx.live, owner);
    if (skews.length > 0) {
      const messages = describeSkew(skews);
      log.warn('version change refused', { refused: messages });
      if (await writeStatus(iop, { kind: 'version-skew', messages }, ctx)) {
        ctx.event?.(iop, 'Warning', 'VersionSkew', summarize(messages));
      }
      // Until the spec or the annotation changes, both of which enqueue it again.
      return { result: 'terminal' };
    }
  }

  // Only for a new generation: retrying the same one (a conflict, a failed
  // apply) must not flip status to RECONCILING and back every few seconds.
  if (iop.status?.observedGeneration !== iop.metadata.generation) {
    await writeStatus(iop, { kind: 'reconciling' }, ctx);
  }
  const outcome = await applyManifest(manifest.components, {
    client: ctx.client,
    live: ctx.live,
    owner,
    shared: SHARED,
    holds: gatewayHolds(manifest, ctx.live),
    handOvers: handOvers(ctx.otherIstioOperators?.() ?? [], manifest, ctx.live, owner, SHARED),
  });
  if (outcome.conflicts.length > 0) {
    const messages = outcome.conflicts.map(
      (c) =>
        `${c.object} is owned by IstioOperator ${c.owner.namespace}/${c.owner.name}; nothing was applied`,
    );
    log.warn('ownership conflict', { conflicts: messages });
    if (await writeStatus(iop, { kind: 'conflict', messages }, ctx)) {
      ctx.event?.(iop, 'Warning', 'Conflict', summarize(messages));
    }
    // Soon: the other owner may be handing the objects over (its next
    // reconcile prunes them), and no event of ours announces that.
    return { result: 'requeueAfter', ms: 5_000 };
  }
  for (const c of outcome.components) {
    if (c.applied.length > 0) {
      ctx.onApplied?.(c.component, c.applied.length);
      const drift = c.drifted.length ? `; corrected drift: ${c.drifted.join('; ')}` : '';
      ctx.event?.(
        iop,
        'Normal',
        'Applied',
        `${c.component}: ${c.applied.length} object(s) applied${drift}`,
      );
      log.info('applied', {
        component: c.component,
        objects: c.applied.length,
        ...(c.drifted.length ? { corrected: c.drifted } : {}),
      });
    }
    if (c.error) log.warn('apply failed', { component: c.component, error: c.error });
  }

  // A component waiting for its namespace to go applied only part of its
  // objects: pruning now could delete what the rest still needs.
  const failed = outcome.components.some((c) => c.error || c.blockedBy || c.waiting);
  let pruneErrors: string[] = [];
  if (!failed) {
    const candidates = pruneCandidates(
      manifest.objects as KubernetesObject[],
      ctx.live,
      owner,
    ).filter((o) => !wantedByAnother(ctx.otherIstioOperators?.() ?? [], o, owner));
    if (candidates.length > 0) {
      const r = await prune(ctx.client, candidates);
      pruneErrors = r.errors;
      ctx.onPruned?.(r.deleted.length);
      if (r.deleted.length > 0) {
        log.info('pruned', { objects: r.deleted });
        ctx.event?.(iop, 'Normal', 'Pruned', `deleted ${r.deleted.join(', ')}`);
      }
    }
  }

  const components = outcome.components.map((c) => {
    const desired = manifest.components
      .filter((m) => m.component === c.component)
      .flatMap((m) => m.objects);
    const readiness = componentReadiness(desired as KubernetesObject[], outcome.live);
    const error =
      c.error ??
      (c.blockedBy ? `waiting for ${c.blockedBy}, which failed` : undefined) ??
      c.missingKinds?.join('; ');
    const held = c.heldBack ?? c.waiting;
    const waitingFor = held ? [held] : readiness.waitingFor;
    return {
      name: c.component,
      ready: !error && waitingFor.length === 0,
      waitingFor: error ? [] : waitingFor,
      version: desired[0]?.metadata.labels?.[LABELS.version] ?? manifest.plan.version,
      ...(error ? { error } : {}),
    };
  });
  // A remote install is HEALTHY only once its external control plane took it over.
  if (!failed) markTakeover(components, manifest, await remoteTakeoverWaits(manifest, ctx.client));
  // Warnings only when the status changed: a retry that fails the same way
  // again is no news (no new Event every backoff step).
  const said = iop.status?.message ?? '';
  const notes = describeKept(outcome.keptCrds);
  const wrote = await writeStatus(
    iop,
    { kind: 'applied', components, pruneErrors, ...(notes.length ? { notes } : {}) },
    ctx,
  );
  if (wrote) {
    // Once per wait: which component meets it first may change between retries.
    const waits = new Set(outcome.components.flatMap((c) => c.waiting ?? []));
    for (const w of waits) if (!said.includes(w)) log.info('waiting', { for: w });
    for (const c of outcome.components) {
      const error = c.error ?? c.missingKinds?.join('; ');
      if (error) ctx.event?.(iop, 'Warning', 'Failed', `${c.component}: ${error}`);
      if (c.missingKinds) {
        log.warn('kinds not served; the rest was applied', {
          component: c.component,
          missing: c.missingKinds,
        });
      }
    }
  }
  if (notes.length > 0) {
    log.info('CRDs left as they are', { kept: notes });
    // With the status: once per change, not on every reconcile.
    if (wrote) ctx.event?.(iop, 'Normal', 'CRDsKept', summarize(notes));
  }
  const hardErrors = outcome.components.filter((c) => c.error || c.blockedBy);
  if (hardErrors.length > 0 || pruneErrors.length > 0) {
    return {
      result: 'error',
      error: [...components.flatMap((c) => c.error ?? []), ...pruneErrors].join('; '),
    };
  }
  if (components.some((c) => c.waitingFor.length > 0))
    return { result: 'requeueAfter', ms: ctx.requeueWhileRollingMs ?? 5000 };
  // A kind the cluster does not serve: its informer wakes this IstioOperator
  // when the CRD shows up; this is only the safety net.
  if (components.some((c) => c.error)) return { result: 'requeueAfter', ms: MISSING_KIND_RETRY_MS };
  return { result: 'done' };
}

/** Writes the status for `outcome` if it differs from the current one; true when it wrote. */
async function writeStatus(
  iop: IstioOperator,
  outcome: ReconcileOutcome,
  ctx: ReconcileContext,
): Promise<boolean> {
  const next = computeStatus(iop.status, iop.metadata.generation ?? 0, outcome, ctx.now());
  if (sameStatus(iop.status, next)) return false;
  const body = { ...iop, status: next } as unknown as KubernetesObject;
  const written = await ctx.client.replaceStatus(body);
  // Later steps of this reconcile compare against what we just wrote.
  iop.status = next;
  iop.metadata.resourceVersion = written.metadata?.resourceVersion ?? iop.metadata.resourceVersion;
  return true;
}

async function finalize(
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
