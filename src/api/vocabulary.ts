/**
 * Every name the operator shares with the cluster: the IstioOperator's
 * resource identity, its finalizer, and the annotations and labels it reads
 * or writes. One module, so that a reader looking for what a key means, or a
 * maintainer renaming one, finds it in one place — and so that no layer has
 * to import the controller (or the renderer) for a string.
 */

/** The IstioOperator's API group. */
export const GROUP = 'install.istio.io';

/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` field value of every IstioOperator. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Kind of the resource. */
export const KIND = 'IstioOperator';

/** The IstioOperator resource type (what the Kubernetes client needs to address it). */
export const IOP_RESOURCE = {
  apiVersion: API_VERSION,
  kind: KIND,
  plural: 'istiooperators',
  namespaced: true,
} as const;

/** Finalizer that lets the operator uninstall before an IstioOperator disappears. */
export const FINALIZER = 'istio-finalizer.install.istio.io';

// --- annotations on an IstioOperator, set by users

/**
 * Lets uninstalling an IstioOperator delete the Istio CRDs it owns too, and
 * with them every VirtualService, Gateway, … in the cluster. Without it CRDs
 * always survive.
 */
export const DELETE_CRDS_ANNOTATION = 'install.istio.io/delete-crds-on-uninstall';
/** Makes the operator leave an IstioOperator alone. */
export const IGNORE_ANNOTATION = 'install.istio.io/ignoreReconcile';
/** Lets an IstioOperator downgrade or skip minor versions (the upgrade guard refuses both). */
export const ALLOW_VERSION_SKEW_ANNOTATION = 'install.istio.io/allow-version-skew';
/**
 * Names the Istio release whose templates to install (`1.30` or `1.30.3`)
 * when the image tag names none (a digest, `latest`, a custom build); when
 * the tag names one, the two must agree on the minor version.
 */
export const ISTIO_VERSION_ANNOTATION = 'install.istio.io/istio-version';
/** Lets an IstioOperator be uninstalled while workloads still use its revision. */
export const FORCE_DELETE_ANNOTATION = 'install.istio.io/force-delete';
/**
 * Opts an IstioOperator into restarting the workloads that still run an
 * old proxy once its control plane is HEALTHY (`batch=5,pause=30s,timeout=10m`;
 * see docs/upgrades.md). Removing it stops the restart before the next batch.
 */
export const RESTART_WORKLOADS_ANNOTATION = 'install.istio.io/restart-workloads';

// --- annotations on users' workloads

/** `never` on a Deployment, StatefulSet or DaemonSet keeps the operator from ever restarting it. */
export const RESTART_OPT_OUT_ANNOTATION = 'install.istio.io/restart';
/**
 * Set on a workload's pod template by the restart, with the revision and
 * version it restarted for (`canary@1.31.4`): a workload so marked is never
 * restarted again for the same target, across operator restarts and leader
 * changes.
 */
export const RESTARTED_FOR_ANNOTATION = 'install.istio.io/restarted-for';
/** The pod-template annotation `kubectl rollout restart` sets; the restart sets it the same way. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

// --- annotations on the objects the operator applies

/**
 * A digest of the desired object last applied. The subset test that saves
 * idle writes cannot see a field removed from the desired state; a changed
 * digest can, and server-side apply then removes the fields no longer set.
 */
export const DESIRED_HASH = 'install.operator.istio.io/desired-hash';
/** Touched on a CRD the API server accepted but never established, to make it look again. */
export const ESTABLISH_NUDGE = 'install.operator.istio.io/establish-nudge';

// --- labels on the objects the operator applies

/** Label keys Istio's tooling uses to find the objects an installer owns (istioctl's set). */
export const LABELS = {
  managed: 'operator.istio.io/managed',
  version: 'operator.istio.io/version',
  component: 'operator.istio.io/component',
  owner: 'install.operator.istio.io/owning-resource',
  ownerNamespace: 'install.operator.istio.io/owning-resource-namespace',
  rev: 'istio.io/rev',
} as const;

/** An object carrying this label set to "true" is never pruned. */
export const NOT_PRUNED_LABEL = 'install.operator.istio.io/owning-resource-not-pruned';

// --- the operator's own objects

/**
 * On the Lease an operator started with `--revision R` keeps fresh in its
 * namespace (value: R, `default` for IstioOperators without a revision): an
 * operator of every revision leaves revision R to it while the Lease is
 * renewed.
 */
export const REVISION_CLAIM_LABEL = 'operator.istio.io/claims-revision';

/**
 * The revision an IstioOperator belongs to: '' for none, and for `default`,
 * which Istio treats as none.
 */
export function revisionOf(iop: { spec?: { revision?: string } | undefined }): string {
  return normalRevision(iop.spec?.revision);
}

/** A revision as written (`--revision`, a label value) as {@link revisionOf} reads it: `default` is ''. */
export function normalRevision(revision: string | undefined): string {
  return revision && revision !== 'default' ? revision : '';
}
