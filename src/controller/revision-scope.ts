import type { KubeAccess } from '../kube/access.js';
import type { IstioOperator } from '../api/types.js';
import { normalRevision, revisionOf } from '../api/vocabulary.js';
import { RevisionClaim, RevisionClaims } from './revision-claims.js';

/**
 * Which IstioOperators this operator reconciles, by revision: one revision
 * (`--revision`), which it then claims, or every revision except those
 * whose own operator holds a fresh claim (revision-claims.ts).
 */
export class RevisionScope {
  /** The revision this operator reconciles ('' for none); undefined: every revision. */
  private readonly revision: string | undefined;
  /** Held when this operator is one revision's own. */
  private readonly claim: RevisionClaim | undefined;
  /** Watched when this operator is every revision's. */
  private readonly claims: RevisionClaims | undefined;

  /**
   * Without `claimNamespace` no claims are written or read. `changed` is
   * told the revisions claimed or handed back (an operator of every
   * revision): their IstioOperators change hands.
   */
  constructor(
    kubeConfig: KubeAccess,
    opts: { revision?: string; claimNamespace?: string },
    changed: (revisions: readonly string[]) => void,
  ) {
    this.revision = opts.revision === undefined ? undefined : normalRevision(opts.revision);
    const ns = opts.claimNamespace;
    if (ns && this.revision !== undefined)
      this.claim = new RevisionClaim(kubeConfig, ns, this.revision);
    else if (ns) this.claims = new RevisionClaims(kubeConfig, ns, changed);
  }

  /**
   * Whether this operator reconciles the IstioOperator's revision: its one
   * revision, or (an operator of every revision) any revision whose own
   * operator holds no fresh claim.
   */
  owns(iop: IstioOperator): boolean {
    const rev = revisionOf(iop);
    if (this.revision !== undefined) return rev === this.revision;
    return !this.claims?.isClaimed(rev);
  }

  /** Writes the claim, or reads the claims: before any reconcile. */
  async start(): Promise<void> {
    await Promise.all([this.claim?.start(), this.claims?.start()]);
  }

  /** Hands the revision back (once no reconcile of ours runs), or stops watching the claims. */
  async stop(): Promise<void> {
    await this.claim?.release();
    await this.claims?.stop();
  }
}
