/**
 * The steps of reconciling one IstioOperator, in order: render → guards →
 * apply → prune → readiness → status (reconciler.ts runs them). Each step
 * that can end the reconcile returns a {@link Step}: the value it hands on,
 * or the result the reconcile ends with.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  formatDiagnostic,
  IstioOperatorValidationError,
  renderFailureKind,
} from '../api/errors.js';
import type { IstioOperator } from '../api/types.js';
import { applyManifest, type ApplyOutcome } from '../apply/applier.js';
import { describeKept } from '../apply/crd-guard.js';
import type { Owner } from '../apply/live.js';
import { prune, pruneCandidates } from '../apply/prune.js';
import { componentReadiness } from '../apply/readiness.js';
import type { Manifest } from '../render/manifest.js';
import type { ReconcileLog, ReconcileResult } from '../runtime/reconcile-frame.js';
import type { ComponentName } from '../translate/plan.js';
import { handOvers, render, wantedByAnother } from './desired.js';
import type { ReconcileContext } from './reconcile-context.js';
import { markTakeover, remoteTakeoverWaits } from './remote-takeover.js';
import { MAX_MESSAGES, summarize, type ReconcileOutcome } from './status.js';
import { describeSkew, gatewayHolds, refusedVersionChanges } from './upgrade.js';
import { writeStatus } from './write-status.js';
import { ALLOW_VERSION_SKEW_ANNOTATION, LABELS } from '../api/vocabulary.js';

/** What a step hands on to the next, or the result the reconcile ends with. */
export type Step<T> = { next: T } | { stop: ReconcileResult };

/** One component's line of the `applied` status. */
export type ComponentReport = Extract<ReconcileOutcome, { kind: 'applied' }>['components'][number];

/**
 * How often a component whose only trouble is a kind the cluster does not
 * serve is applied again, should the CRD's arrival go unnoticed.
 */
const MISSING_KIND_RETRY_MS = 5 * 60_000;

/** Components every IstioOperator installs alike (the CRDs): never a conflict (see applyManifest). */
const SHARED: readonly ComponentName[] = ['Base'];

/**
 * Render: the manifest the IstioOperator asks for. An invalid spec is
 * terminal (status and a Warning say why); a renderer failure is the
 * operator's bug, reported so and retried (a transient failure, or a fixed
 * operator, then converges without a spec change).
 */
export async function renderDesired(
  iop: IstioOperator,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<Step<Manifest>> {
  try {
    return { next: (ctx.render ?? render)(iop, ctx.otherIstioOperators?.() ?? []) };
  } catch (err) {
    if (renderFailureKind(err) === 'internal') {
      const message = (err as Error).message ?? String(err);
      log.error('rendering failed (operator bug)', {
        error: message,
        stack: (err as Error).stack?.split('\n').slice(0, 6).join('\n'),
      });
      if (await writeStatus(iop, { kind: 'render-failed', message }, ctx)) {
        ctx.event?.(iop, 'Warning', 'RenderFailed', message);
      }
      return { stop: { result: 'error', error: `render: ${message}` } };
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
    return { stop: { result: 'terminal' } };
  }
}

/**
 * Guards: a version change the upgrade rules refuse (a downgrade, a skipped
 * minor) stops the reconcile before anything is written, unless annotated;
 * terminal until the spec or the annotation changes, both of which enqueue
 * it again.
 */
export async function guardVersionChanges(
  iop: IstioOperator,
  manifest: Manifest,
  owner: Owner,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<ReconcileResult | undefined> {
  if (iop.metadata.annotations?.[ALLOW_VERSION_SKEW_ANNOTATION] === 'true') return undefined;
  const skews = refusedVersionChanges(manifest, ctx.live, owner);
  if (skews.length === 0) return undefined;
  const messages = describeSkew(skews);
  log.warn('version change refused', { refused: messages });
  if (await writeStatus(iop, { kind: 'version-skew', messages }, ctx)) {
    ctx.event?.(iop, 'Warning', 'VersionSkew', summarize(messages));
  }
  return { result: 'terminal' };
}

/**
 * Apply: status says RECONCILING for a new generation (only then: retrying
 * the same one must not flip status back and forth every few seconds); the
 * hand-overs and upgrade holds are decided, then the manifest is applied. An
 * ownership conflict stops the reconcile (looked at again soon: the other
 * owner may be handing the objects over, and no event of ours announces
 * that); what each component wrote is counted, recorded and logged.
 */
export async function applyDesired(
  iop: IstioOperator,
  manifest: Manifest,
  owner: Owner,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<Step<ApplyOutcome>> {
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
    return { stop: { result: 'requeueAfter', ms: 5_000 } };
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
  return { next: outcome };
}

/**
 * Whether the apply left a component incomplete (failed, blocked, or
 * waiting for its namespace): then nothing is pruned (what the rest still
 * needs could go) and a remote install's takeover is not judged.
 */
export function applyIncomplete(outcome: ApplyOutcome): boolean {
  return outcome.components.some((c) => c.error || c.blockedBy || c.waiting);
}

/**
 * Prune: deletes what this IstioOperator owns and no longer renders, except
 * what another IstioOperator renders (a hand-over in progress). Returns the
 * deletion errors.
 */
export async function pruneUndesired(
  iop: IstioOperator,
  manifest: Manifest,
  owner: Owner,
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<string[]> {
  const candidates = pruneCandidates(
    manifest.objects as KubernetesObject[],
    ctx.live,
    owner,
  ).filter((o) => !wantedByAnother(ctx.otherIstioOperators?.() ?? [], o, owner));
  if (candidates.length === 0) return [];
  const r = await prune(ctx.client, candidates);
  ctx.onPruned?.(r.deleted.length);
  if (r.deleted.length > 0) {
    log.info('pruned', { objects: r.deleted });
    ctx.event?.(iop, 'Normal', 'Pruned', `deleted ${r.deleted.join(', ')}`);
  }
  return r.errors;
}

/**
 * Each component's status line from the apply: its error (its own, its
 * failed dependency's, or its kinds the cluster does not serve), else what
 * it waits for (held back, or its workloads and CRDs rolling out, judged
 * from the live state the apply returned) and the version it moves to.
 */
export function componentReports(manifest: Manifest, outcome: ApplyOutcome): ComponentReport[] {
  return outcome.components.map((c) => {
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
}

/**
 * Readiness: the component reports, and for a remote install (after a
 * complete apply) whether its external control plane took it over: it is
 * HEALTHY only then.
 */
export async function judgeReadiness(
  manifest: Manifest,
  outcome: ApplyOutcome,
  ctx: ReconcileContext,
): Promise<ComponentReport[]> {
  const components = componentReports(manifest, outcome);
  if (!applyIncomplete(outcome))
    markTakeover(components, manifest, await remoteTakeoverWaits(manifest, ctx.client));
  return components;
}

/**
 * Status: writes the `applied` status (only when it changed), and only then
 * the Warnings and logs of what failed or waits: a retry that fails the
 * same way again is no news (no new Event every backoff step). CRDs left as
 * they are are logged every time, their Event sent with a status change.
 */
export async function reportStatus(
  iop: IstioOperator,
  outcome: ApplyOutcome,
  components: ComponentReport[],
  pruneErrors: string[],
  ctx: ReconcileContext,
  log: ReconcileLog,
): Promise<void> {
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
    if (wrote) ctx.event?.(iop, 'Normal', 'CRDsKept', summarize(notes));
  }
}

/**
 * What the work loop does next: retry with backoff after a failed apply or
 * prune; look again while something rolls out (`rollingMs`, default 5 s); a
 * kind the cluster does not serve is looked at again only rarely (its
 * informer wakes the IstioOperator when the CRD shows up; this is the
 * safety net); else done.
 */
export function resultOf(
  outcome: ApplyOutcome,
  components: readonly ComponentReport[],
  pruneErrors: readonly string[],
  rollingMs = 5000,
): ReconcileResult {
  const hardErrors = outcome.components.filter((c) => c.error || c.blockedBy);
  if (hardErrors.length > 0 || pruneErrors.length > 0) {
    return {
      result: 'error',
      error: [...components.flatMap((c) => c.error ?? []), ...pruneErrors].join('; '),
    };
  }
  if (components.some((c) => c.waitingFor.length > 0))
    return { result: 'requeueAfter', ms: rollingMs };
  if (components.some((c) => c.error)) return { result: 'requeueAfter', ms: MISSING_KIND_RETRY_MS };
  return { result: 'done' };
}
