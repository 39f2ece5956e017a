import type { KubernetesObject } from '@kubernetes/client-node';
import { normalRevision } from '../api/vocabulary.js';

/**
 * Label selector of every operator Deployment, whether `init` or the Helm
 * chart installed it (both set `app.kubernetes.io/name: istio-operator`).
 */
export const OPERATOR_DEPLOYMENT_SELECTOR = 'app.kubernetes.io/name=istio-operator';

/** An operator found in the cluster, as its Deployment describes it. */
export interface OperatorInstance {
  /** `namespace/name` of the Deployment. */
  deployment: string;
  /** Namespaces whose IstioOperators it reconciles; undefined means all. */
  watchNamespaces?: string[];
  /**
   * The one `spec.revision` it reconciles ('' for IstioOperators without
   * one), from `--revision`; undefined: every revision that has no running
   * operator of its own.
   */
  revision?: string;
  /** Available replicas: 0 means nothing runs to reconcile (or to finish a deletion). */
  available: number;
}

interface DeploymentLike extends KubernetesObject {
  spec?: { template?: { spec?: { containers?: { args?: string[] }[] } } };
  status?: { availableReplicas?: number };
}

/** The value of `--flag v` or `--flag=v` in a container's args. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === flag) return args[i + 1];
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
  }
  return undefined;
}

/**
 * What an operator Deployment reconciles, read from its container's `run`
 * arguments (`--watch-namespaces`, `--revision`) — the same arguments the
 * operator itself parses, so `status` and `init` judge coverage exactly as
 * the operator will. Undefined when the Deployment runs no `run` command.
 */
export function operatorFromDeployment(dep: KubernetesObject): OperatorInstance | undefined {
  const d = dep as DeploymentLike;
  const args = d.spec?.template?.spec?.containers?.find((c) => c.args?.includes('run'))?.args;
  if (!args) return undefined;
  const rev = flagValue(args, '--revision');
  const watch = flagValue(args, '--watch-namespaces')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    deployment: `${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''}`,
    ...(watch?.length ? { watchNamespaces: watch } : {}),
    ...(rev !== undefined ? { revision: normalRevision(rev) } : {}),
    available: d.status?.availableReplicas ?? 0,
  };
}

/** The namespace and revision of an IstioOperator: all that decides which operator reconciles it. */
export interface IopPlace {
  namespace: string;
  revision?: string;
}

/**
 * Whether `op` would reconcile an IstioOperator in this place (running or
 * not). An operator of every revision yields a revision to that revision's
 * own operator while it runs: see {@link responsibleFor}.
 */
export function reconciles(op: OperatorInstance, iop: IopPlace): boolean {
  return (
    (op.revision === undefined || op.revision === normalRevision(iop.revision)) &&
    (!op.watchNamespaces || op.watchNamespaces.includes(iop.namespace))
  );
}

/**
 * The operators that decide about IstioOperators of this revision: its own
 * operators (`--revision`) when one of them runs — they claim the revision —
 * else those and every operator of every revision.
 */
export function responsibleFor(
  revision: string | undefined,
  operators: readonly OperatorInstance[],
): OperatorInstance[] {
  const rev = normalRevision(revision);
  const own = operators.filter((o) => o.revision === rev);
  if (own.some((o) => o.available > 0)) return own;
  return [...own, ...operators.filter((o) => o.revision === undefined)];
}

/** How to say which revisions an operator reconciles. */
export function describeRevisions(op: OperatorInstance): string {
  if (op.revision === undefined) return 'every revision';
  return op.revision ? `revision ${op.revision}` : 'no revision';
}

const describeWatch = (op: OperatorInstance) =>
  op.watchNamespaces ? op.watchNamespaces.join(', ') : 'all namespaces';

/**
 * Why no running operator will act on an IstioOperator in this place, with
 * the fix; undefined when one will. The operator is silent about what it does
 * not watch — an IstioOperator outside its namespaces just stays without
 * status — so `status` and `init` say it instead.
 */
export function coverageProblem(
  iop: IopPlace,
  operators: readonly OperatorInstance[],
): string | undefined {
  const rev = normalRevision(iop.revision);
  const ofRevision = responsibleFor(rev, operators);
  if (operators.length === 0) {
    return (
      'no operator is installed in this cluster (no istio-operator Deployment; one running outside ' +
      'the cluster is not visible here): install one with `istio-operator init`'
    );
  }
  if (ofRevision.length === 0) {
    return (
      `no operator reconciles ${rev ? `revision ${rev}` : 'IstioOperators without spec.revision'} ` +
      `(installed: ${operators.map((o) => `${o.deployment} for ${describeRevisions(o)}`).join('; ')}): ` +
      `install one with \`istio-operator init\` (every revision) or \`istio-operator init --revision ${rev || 'default'}\``
    );
  }
  const watching = ofRevision.filter((o) => reconciles(o, iop));
  if (watching.length === 0) {
    const o = ofRevision[0]!;
    const wanted = [...(o.watchNamespaces ?? []), iop.namespace].join(',');
    const revFlag = o.revision === undefined ? '' : ` --revision ${o.revision || 'default'}`;
    return (
      `not watched: operator ${o.deployment} reconciles IstioOperators in ${describeWatch(o)} only; ` +
      `add ${iop.namespace} with \`istio-operator init --watched-namespaces ${wanted}${revFlag}\` ` +
      `(Helm: --set 'watchedNamespaces={${wanted}}'), or omit the list to watch all namespaces`
    );
  }
  if (watching.every((o) => o.available === 0)) {
    return (
      `operator ${watching.map((o) => o.deployment).join(', ')} is not running (no available replica; ` +
      'one running outside the cluster is not visible here)'
    );
  }
  return undefined;
}
