import type * as k8s from '@kubernetes/client-node';
import type { KubeAccess } from '../kube/access.js';
import { KubeClient } from '../kube/client.js';
import { describeKubeError, isNotFound } from '../kube/errors.js';
import { logger } from '../log/logger.js';
import { normalRevision, REVISION_CLAIM_LABEL } from '../api/vocabulary.js';
import { Informer } from '../runtime/informer.js';
import { defaultIdentity, microTime, type Lease } from '../runtime/leader.js';

/**
 * Revision claims: how one operator of every revision and operators of one
 * revision each (`run --revision R`, for users who want them) share a
 * cluster without fighting.
 *
 * An operator of one revision keeps a Lease named `istio-operator-R-claim`,
 * labelled {@link REVISION_CLAIM_LABEL}, fresh in its namespace (renewed
 * every {@link RENEW_MS}); the operator of every revision watches those
 * Leases there and leaves revision R alone while its claim is fresh. Fresh
 * is judged as client-go's leader election judges a Lease: by when this
 * process last saw it change, never by comparing clocks with the writer.
 * A claim that stops being renewed (the dedicated operator removed or
 * crashed) lapses after its `leaseDurationSeconds` ({@link CLAIM_SECONDS}
 * as we write it), and the operator of every
 * revision takes the revision over; an orderly stop releases it at once.
 */

/** How long a claim lasts without renewal. */
export const CLAIM_SECONDS = 30;
/** How often a claim is renewed (a third of its life: two renewals may fail). */
const RENEW_MS = 10_000;
/** How often lapsed claims are looked for. */
const SWEEP_MS = 2_000;
/** How long start-up waits for the claims to be listed. */
const SYNC_WAIT_MS = 5_000;

/** The label value of a revision ('' is `default`). */
const labelValue = (revision: string) => revision || 'default';
const claimName = (revision: string) => `istio-operator-${labelValue(revision)}-claim`;

const LEASES = {
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
} as const;

/** The claim an operator of one revision keeps fresh. */
export class RevisionClaim {
  private readonly client: KubeClient;
  private readonly identity = defaultIdentity();
  private timer: NodeJS.Timeout | undefined;
  private warned = false;

  constructor(
    kubeConfig: KubeAccess,
    private readonly namespace: string,
    private readonly revision: string,
  ) {
    // Its own client: renewals are not reconcile writes (the
    // zero-writes-in-steady-state count must not see them).
    this.client = new KubeClient(kubeConfig);
  }

  /** Writes the claim, then renews it until {@link release}. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
    this.timer.unref();
  }

  /** Stops renewing and gives the revision back at once (an empty holder). */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.write('').catch((err: unknown) =>
      logger.warn('could not release the revision claim; it lapses on its own', {
        lease: `${this.namespace}/${claimName(this.revision)}`,
        error: describeKubeError(err),
      }),
    );
  }

  private async renew(): Promise<void> {
    try {
      await this.write(this.identity);
      this.warned = false;
    } catch (err) {
      // Not fatal: without the claim an operator of every revision may
      // reconcile this revision too, with the same result. Said once.
      if (!this.warned) {
        this.warned = true;
        logger.warn(
          isNotFound(err)
            ? `revision claim: namespace ${this.namespace} does not exist; an operator of every revision ` +
                'there would reconcile this revision too (create the namespace, or pass ' +
                '--leader-election-namespace with an existing one)'
            : 'revision claim: could not renew (retrying)',
          { lease: `${this.namespace}/${claimName(this.revision)}`, error: describeKubeError(err) },
        );
      }
    }
  }

  /** Server-side apply: every replica of the same operator writes the same fields, without conflicts. */
  private async write(holder: string): Promise<void> {
    await this.client.apply<Lease>({
      apiVersion: LEASES.apiVersion,
      kind: LEASES.kind,
      metadata: {
        name: claimName(this.revision),
        namespace: this.namespace,
        labels: { [REVISION_CLAIM_LABEL]: labelValue(this.revision) },
      },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: CLAIM_SECONDS,
        renewTime: microTime(new Date()),
      },
    } as Lease);
  }
}

/** What the operator of every revision knows of the claims in its namespace. */
export class RevisionClaims {
  private readonly informer: Informer<Lease>;
  /** Per Lease name: the revision, whether it has a holder, for how long, and when we last saw it change. */
  private readonly seen = new Map<
    string,
    { revision: string; held: boolean; seconds: number; atMs: number }
  >();
  private claimed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  /** `onChange` is told the revisions that were claimed or released. */
  constructor(
    kubeConfig: KubeAccess,
    private readonly namespace: string,
    private readonly onChange: (revisions: string[]) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.informer = new Informer<Lease>({
      kubeConfig,
      resource: LEASES,
      namespace,
      labelSelector: REVISION_CLAIM_LABEL,
    });
    const note = (l: k8s.KubernetesObject) => {
      this.seen.set(l.metadata?.name ?? '', {
        revision: normalRevision(l.metadata?.labels?.[REVISION_CLAIM_LABEL]),
        held: !!(l as Lease).spec?.holderIdentity,
        seconds: (l as Lease).spec?.leaseDurationSeconds ?? CLAIM_SECONDS,
        atMs: this.now(),
      });
      this.sweep();
    };
    this.informer.onAdd(note);
    this.informer.onUpdate((_, l) => note(l));
    this.informer.onDelete((l) => {
      this.seen.delete(l.metadata?.name ?? '');
      this.sweep();
    });
  }

  /** True while an operator of this revision ('' for none) keeps its claim fresh. */
  isClaimed(revision: string): boolean {
    return this.claimed.has(revision);
  }

  /**
   * Starts watching the claims; waits for them at most {@link SYNC_WAIT_MS}.
   * Claims that cannot be read (no permission to list Leases in the
   * namespace, say) must not keep the operator from reconciling: it then
   * reconciles every revision, says so once, and keeps trying in the
   * background (a claim read later is honoured from then on).
   */
  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const synced = await Promise.race([
      this.informer.start().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), SYNC_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!synced)
      logger.warn(
        `revision claims: cannot list Leases in namespace ${this.namespace} yet; reconciling every ` +
          'revision, including any that an operator started with --revision claims, until they can be ' +
          'read (grant list and watch on leases there, or pass --leader-election-namespace)',
      );
    this.sweep();
    this.timer = setInterval(() => this.sweep(), SWEEP_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.informer.stop();
  }

  /** Recomputes the claimed revisions; tells `onChange` which changed. */
  private sweep(): void {
    const now = this.now();
    const next = new Set<string>();
    for (const c of this.seen.values())
      if (c.held && now - c.atMs < c.seconds * 1000) next.add(c.revision);
    const changed = [
      ...[...next].filter((r) => !this.claimed.has(r)),
      ...[...this.claimed].filter((r) => !next.has(r)),
    ];
    this.claimed = next;
    if (changed.length > 0) {
      logger.info('revision claims changed', {
        claimedByTheirOwnOperator: [...next].map(labelValue).sort(),
      });
      this.onChange(changed);
    }
  }
}
