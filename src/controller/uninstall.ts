import type { KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../api/types.js';
import { WATCHED_KINDS } from '../apply/kinds.js';
import {
  describeObject,
  identity,
  ownerOf,
  writtenByOperator,
  type LiveState,
  type Owner,
} from '../apply/live.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { crdMissingMessage } from './iop-crd.js';
import { operatorEvents } from './events.js';
import { reconcile } from './reconciler.js';
import { FINALIZER, IOP_RESOURCE, LABELS } from '../api/vocabulary.js';

/** Options for {@link uninstallInProcess}. */
export interface UninstallRun {
  /** Give up after this long (the IstioOperator keeps its finalizer; running again resumes). */
  timeoutMs: number;
  /** Told what happens, one line at a time. */
  onProgress?: (line: string) => void;
}

/**
 * How often the finalizer looks again while a revision is still in use; a
 * value of its own, so a wait for the user is told apart from a wait for
 * deletions (which the finalizer rechecks after 500 ms).
 */
const REVISION_RECHECK_MS = 1000;

/** An uninstall that cannot finish until the user acts (a revision still in use, a failing delete). */
export class UninstallBlocked extends Error {}

const ref = (namespace: string, name: string) => ({
  ...IOP_RESOURCE,
  metadata: { name, namespace },
});

/**
 * Every object of a managed kind whose owner labels name `owner`, read from
 * the API server now: the one-shot stand-in for the operator's caches.
 * A kind the cluster does not serve (an optional CRD) holds nothing.
 */
export async function ownedSnapshot(client: KubeClient, owner: Owner): Promise<LiveState> {
  const selector = `${LABELS.managed}=Reconcile,${LABELS.owner}=${owner.name},${LABELS.ownerNamespace}=${owner.namespace}`;
  const lists = await Promise.all(
    WATCHED_KINDS.map(async (k) => {
      try {
        return await client.list(k, undefined, selector);
      } catch (err) {
        if (isNotFound(err)) return [];
        throw err;
      }
    }),
  );
  const objects = lists
    .flat()
    .filter((o) => ownerOf(o)?.name === owner.name && ownerOf(o)?.namespace === owner.namespace);
  const byId = new Map(objects.map((o) => [identity(o), o]));
  return {
    ownedBy: (o) => (o.name === owner.name && o.namespace === owner.namespace ? objects : []),
    get: (apiVersion, kind, namespace, name) =>
      byId.get(
        identity({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }),
      ),
    ownerExists: () => Promise.resolve(true),
  };
}

/**
 * Uninstalls one IstioOperator from this process, for when no operator runs
 * to do it (`istio-operator uninstall`, `remove --uninstall-istio` without a
 * running operator): deletes the IstioOperator if it is not being deleted
 * yet, then runs the controller's own reconcile — which, for an
 * IstioOperator being deleted, is the finalizer: the same revision-in-use
 * check, the same selection of owned objects (CRDs kept unless annotated),
 * the same prune, the finalizer released last — with a fresh read of the
 * owned objects standing in for the caches, until the IstioOperator is gone.
 *
 * An IstioOperator without our finalizer (never reconciled, or released by
 * hand) gets it first, so its deletion waits for the uninstall instead of
 * leaving what it installed behind. Returns what was deleted.
 */
export async function uninstallInProcess(
  client: KubeClient,
  namespace: string,
  name: string,
  run: UninstallRun,
): Promise<string[]> {
  const key = `${namespace}/${name}`;
  const progress = run.onProgress ?? (() => {});
  const get = async (): Promise<IstioOperator | undefined> => {
    try {
      return (await client.get(ref(namespace, name))) as unknown as IstioOperator;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  let iop = await get();
  if (!iop) {
    try {
      await client.list(IOP_RESOURCE, namespace);
    } catch (err) {
      if (isNotFound(err)) throw new UninstallBlocked(crdMissingMessage());
      throw err;
    }
    const leftovers = (await ownedSnapshot(client, { namespace, name })).ownedBy({
      namespace,
      name,
    });
    if (leftovers.length === 0) throw new UninstallBlocked(`no IstioOperator ${key}`);
    throw new UninstallBlocked(
      `IstioOperator ${key} no longer exists, but ${leftovers.length} object(s) still carry its owner labels ` +
        `(its finalizer was removed before the uninstall ran): apply an IstioOperator ${key} again ` +
        `(any spec, e.g. profile: empty, with install.istio.io/ignoreReconcile: "true" if an operator watches it) ` +
        'and run this command again',
    );
  }
  if (!iop.metadata.deletionTimestamp) {
    if (!(iop.metadata.finalizers ?? []).includes(FINALIZER)) {
      await client.mergePatch({
        ...ref(namespace, name),
        metadata: {
          name,
          namespace,
          finalizers: [...(iop.metadata.finalizers ?? []), FINALIZER],
          resourceVersion: iop.metadata.resourceVersion,
        },
      } as KubernetesObject);
    }
    await client.delete(ref(namespace, name));
    progress(`deleting IstioOperator ${key}`);
  }
  const events = operatorEvents(client);
  const before = await ownedSnapshot(client, { namespace, name });
  const deadline = Date.now() + run.timeoutMs;
  let waitSaid = false;
  for (;;) {
    iop = await get();
    if (!iop) break;
    if (Date.now() > deadline) {
      throw new UninstallBlocked(
        `IstioOperator ${key}: not uninstalled after ${Math.round(run.timeoutMs / 1000)}s; run the command again to resume`,
      );
    }
    if (!(iop.metadata.finalizers ?? []).includes(FINALIZER)) {
      const others = iop.metadata.finalizers ?? [];
      if (others.length === 0) {
        // The API server removes it right after the last finalizer; look again.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      progress(
        `IstioOperator ${key}: uninstalled; it is still held by finalizer(s) ${others.join(', ')} of another controller`,
      );
      break;
    }
    const current = iop;
    const live = await ownedSnapshot(client, { namespace, name });
    const deletesBefore = client.total(['delete']);
    const r = await reconcile(
      key,
      {
        client,
        live,
        getIstioOperator: (ns, n) => (ns === namespace && n === name ? current : undefined),
        now: () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        event: events,
        requeueWhileRollingMs: REVISION_RECHECK_MS,
      },
      `uninstall-${randomBytes(3).toString('hex')}`,
    );
    if (r.result === 'error') {
      throw new UninstallBlocked(`IstioOperator ${key}: uninstall failed: ${r.error}`);
    }
    if (r.result !== 'requeueAfter') continue;
    // The finalizer either deletes what is left and looks again soon, or —
    // while the revision is in use — deletes nothing, sets ACTION_REQUIRED
    // and looks again after requeueWhileRollingMs. Only the user can end that wait.
    if (
      client.total(['delete']) === deletesBefore &&
      r.ms === REVISION_RECHECK_MS &&
      current.status?.status === 'ACTION_REQUIRED'
    ) {
      throw new UninstallBlocked(
        `IstioOperator ${key}: ${current.status.message ?? 'the uninstall waits'} ` +
          '(or annotate it install.istio.io/force-delete=true to uninstall anyway)',
      );
    }
    if (!waitSaid) progress(`IstioOperator ${key}: waiting for its objects to be deleted`);
    waitSaid = true;
    await new Promise((res) => setTimeout(res, Math.min(r.ms, 500)));
  }
  const after = new Set(
    (await ownedSnapshot(client, { namespace, name }))
      .ownedBy({ namespace, name })
      .filter((o) => !o.metadata?.deletionTimestamp)
      .map(identity),
  );
  const deleted = before
    .ownedBy({ namespace, name })
    // What the finalizer deleted: not what Kubernetes removed along (Endpoints of our Services).
    .filter(
      (o) => writtenByOperator(o) && !o.metadata?.deletionTimestamp && !after.has(identity(o)),
    )
    .map(describeObject);
  // Events go out in the background; give them a moment so `kubectl describe` shows them.
  const until = Date.now() + 2000;
  while (events.pending() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  progress(`IstioOperator ${key} uninstalled (${deleted.length} object(s) deleted)`);
  return deleted.sort();
}
