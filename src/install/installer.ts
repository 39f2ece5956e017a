import type {
  KubernetesObject,
  V1CustomResourceDefinition,
  V1Deployment,
} from '@kubernetes/client-node';
import { describeObject } from '../apply/live.js';
import { workloadReady } from '../apply/readiness.js';
import { waitFor } from '../kube/poll.js';
import type { IstioOperator } from '../api/types.js';
import { uninstallInProcess } from '../controller/uninstall.js';
import type { KubeAccess } from '../kube/access.js';
import { KubeClient } from '../kube/client.js';
import { describeKubeError, isConflict, isNotFound } from '../kube/errors.js';
import {
  OPERATOR_DEPLOYMENT_SELECTOR,
  operatorFromDeployment,
  reconciles,
  type OperatorInstance,
} from './coverage.js';
import {
  FINALIZER,
  IGNORE_ANNOTATION,
  IOP_RESOURCE,
  normalRevision,
  revisionOf,
} from '../api/vocabulary.js';

/** Options for {@link installOperator}. */
export interface InstallRun {
  /** Wait until the operator Deployment is available. */
  wait: boolean;
  timeoutMs: number;
  onProgress: (line: string) => void;
  /** An IstioOperator to apply once the operator is ready. */
  istioOperator?: unknown;
}

/**
 * Applies the operator's objects in order with server-side apply (so running
 * `init` again upgrades in place and changes nothing when nothing changed),
 * waits for the CRD to be Established before anything that needs it, and
 * optionally waits for the Deployment and applies a first IstioOperator.
 */
export async function installOperator(
  kc: KubeAccess,
  objects: KubernetesObject[],
  run: InstallRun,
): Promise<void> {
  const client = new KubeClient(kc);
  await refuseTerminatingCrd(client);
  for (const o of objects) {
    try {
      await client.apply(o);
    } catch (err) {
      throw new Error(`applying ${describeObject(o)}: ${describeKubeError(err)}`);
    }
    run.onProgress(`applied ${describeObject(o)}`);
    if (o.kind === 'CustomResourceDefinition') {
      await waitFor(
        `CRD ${o.metadata!.name} Established`,
        async () => {
          const crd = (await client.get(o as never)) as V1CustomResourceDefinition;
          return !!crd.status?.conditions?.some(
            (c) => c.type === 'Established' && c.status === 'True',
          );
        },
        60_000,
        undefined,
        200,
      );
      run.onProgress(`CRD ${o.metadata!.name} is Established`);
    }
  }
  const dep = objects.find((o) => o.kind === 'Deployment')!;
  await warnUnwatched(client, dep, run);
  if (!run.wait) return;
  let last = '';
  await waitFor(
    `${describeObject(dep)} available`,
    async () => {
      const live = (await client.get(dep as never)) as V1Deployment;
      const r = workloadReady(live as KubernetesObject);
      if (r.detail !== last) {
        last = r.detail;
        run.onProgress(`${describeObject(dep)}: ${r.detail}`);
      }
      return r.ready;
    },
    run.timeoutMs,
    undefined,
    500,
  );
  run.onProgress('the operator is running');
  if (run.istioOperator) {
    const iop = run.istioOperator as KubernetesObject;
    if (iop.kind !== 'IstioOperator')
      throw new Error(`-f: expected an IstioOperator, found kind ${String(iop.kind)}`);
    await client.apply(iop);
    run.onProgress(
      `applied ${describeObject(iop)}; follow it with: kubectl get iop -n ${iop.metadata?.namespace ?? 'default'} -w`,
    );
  }
}

/**
 * A CRD being deleted still answers as Established, so `init --wait` would
 * succeed on top of it, and the CRD — with every IstioOperator — vanishes as
 * soon as the finalizers holding it are gone (the next operator to start
 * runs them: it uninstalls Istio). Refuse, and say how to finish the
 * deletion without uninstalling.
 */
async function refuseTerminatingCrd(client: KubeClient): Promise<void> {
  let crd: KubernetesObject;
  try {
    crd = await client.get(CRD_REF as never);
  } catch (err) {
    if (isNotFound(err)) return;
    throw new Error(`reading the IstioOperator CRD: ${describeKubeError(err)}`);
  }
  if (!crd.metadata?.deletionTimestamp) return;
  let held = '';
  try {
    const left = (await client.list(IOP_RESOURCE)) as unknown as IstioOperator[];
    held = left.length ? ` (held by ${listOf(left)}, which still have finalizers)` : '';
  } catch {
    // the message below says enough
  }
  throw new Error(
    `the IstioOperator CRD is being deleted${held}: let the deletion finish first — ` +
      '`istio-operator remove --purge -y` releases the IstioOperators without uninstalling Istio ' +
      '(or `istio-operator remove --uninstall-istio --purge -y` uninstalls it) — then run init again',
  );
}

/**
 * Says which existing IstioOperators of this operator's revision it will
 * never see (outside its watched namespaces): the operator itself stays
 * silent about them, and they would sit without status.
 */
async function warnUnwatched(
  client: KubeClient,
  dep: KubernetesObject,
  run: InstallRun,
): Promise<void> {
  const op = operatorFromDeployment(dep);
  if (!op?.watchNamespaces) return;
  let iops: IstioOperator[];
  try {
    iops = (await client.list(IOP_RESOURCE)) as unknown as IstioOperator[];
  } catch {
    return; // a warning only: not being allowed to list them must not fail init
  }
  const outside = iops.filter(
    (i) =>
      (op.revision === undefined || revisionOf(i) === op.revision) &&
      !reconciles(op, { namespace: i.metadata.namespace ?? '', revision: revisionOf(i) }),
  );
  if (outside.length === 0) return;
  const wanted = [
    ...new Set([...op.watchNamespaces, ...outside.map((i) => i.metadata.namespace ?? '')]),
  ].join(',');
  // By namespace, every namespace named: the namespaces are what the fix
  // needs; a few names in each say which IstioOperators they are.
  const byNamespace = new Map<string, string[]>();
  for (const i of outside) {
    const n = i.metadata.namespace ?? '';
    byNamespace.set(n, [...(byNamespace.get(n) ?? []), i.metadata.name ?? '']);
  }
  const where = [...byNamespace]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, names]) => {
      const sorted = names.sort();
      const shown =
        sorted.length > 3
          ? `${sorted.slice(0, 3).join(', ')} and ${sorted.length - 3} more`
          : sorted.join(', ');
      return `${n} (${shown})`;
    });
  run.onProgress(
    `warning: ${outside.length} IstioOperator(s) in ${byNamespace.size} namespace(s) outside the watched ones ` +
      `(${op.watchNamespaces.join(', ')}) will not be reconciled: ${where.join('; ')}; ` +
      `watch them with --watched-namespaces ${wanted}, or leave the flag out to watch all namespaces`,
  );
}

/** What `remove` is asked to do besides removing the operator. */
export interface RemoveOptions {
  /** Also delete the IstioOperator CRD (and so every IstioOperator). */
  purge: boolean;
  /** Uninstall Istio first: delete the IstioOperators and wait until what they installed is gone. */
  uninstallIstio: boolean;
  /** The operator of this revision only. */
  revision?: string;
}

/** What `remove` found in the cluster before asking: the facts its message and its steps depend on. */
export interface RemovalPlan {
  options: RemoveOptions;
  /** `namespace/name` of the operator Deployment. */
  deployment: string;
  /** The operator Deployment exists. */
  deploymentExists: boolean;
  /** The operator, as its live Deployment describes it (undefined without one). */
  operator?: OperatorInstance;
  crdInstalled: boolean;
  /** The IstioOperators concerned: every one with --purge, else those of the operator's revision. */
  iops: IstioOperator[];
  /** Operators of other revisions (or other installs) that --purge would pull the CRD from under. */
  otherOperators: OperatorInstance[];
}

const CRD_REF = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'istiooperators.install.istio.io' },
};

const iopKey = (i: IstioOperator) => `${i.metadata.namespace}/${i.metadata.name}`;

/** Being deleted and waiting for our finalizer: a deletion only an operator (or `uninstall`) can finish. */
export function deletionPending(iop: IstioOperator): boolean {
  return !!iop.metadata.deletionTimestamp && (iop.metadata.finalizers ?? []).includes(FINALIZER);
}

/** Reads what {@link removeOperator} needs to decide and to say what it will do. */
export async function planRemoval(
  kc: KubeAccess,
  objects: KubernetesObject[],
  options: RemoveOptions,
): Promise<RemovalPlan> {
  const client = new KubeClient(kc);
  const dep = objects.find((o) => o.kind === 'Deployment')!;
  let live: KubernetesObject | undefined;
  try {
    live = await client.get(dep as never);
  } catch (err) {
    if (!isNotFound(err))
      throw new Error(`reading ${describeObject(dep)}: ${describeKubeError(err)}`);
  }
  let all: IstioOperator[] = [];
  let crdInstalled = true;
  try {
    all = (await client.list(IOP_RESOURCE)) as unknown as IstioOperator[];
  } catch (err) {
    if (!isNotFound(err)) throw new Error(`listing IstioOperators: ${describeKubeError(err)}`);
    crdInstalled = false;
  }
  const deployments = await client.list(DEPLOYMENTS, undefined, OPERATOR_DEPLOYMENT_SELECTOR);
  const deployment = `${dep.metadata!.namespace}/${dep.metadata!.name}`;
  const otherOperators = deployments
    .map(operatorFromDeployment)
    .filter((o): o is OperatorInstance => o !== undefined && o.deployment !== deployment);
  // The operator of one revision is responsible for that revision's
  // IstioOperators; the operator of every revision for those of every
  // revision without a running operator of its own.
  const concerns = (i: IstioOperator) =>
    options.revision !== undefined
      ? revisionOf(i) === normalRevision(options.revision)
      : !otherOperators.some((o) => o.revision === revisionOf(i) && o.available > 0);
  return {
    options,
    deployment,
    deploymentExists: live !== undefined,
    ...(live ? { operator: operatorFromDeployment(live) } : {}),
    crdInstalled,
    iops: options.purge ? all : all.filter(concerns),
    otherOperators,
  };
}

const DEPLOYMENTS = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
};

function listOf(iops: readonly IstioOperator[], max = 8): string {
  const names = iops.map(iopKey);
  return names.length > max
    ? `${names.slice(0, max).join(', ')} and ${names.length - max} more`
    : names.join(', ');
}

/** The IstioOperators the running operator will uninstall when they are deleted. */
function byOperator(plan: RemovalPlan): IstioOperator[] {
  const op = plan.operator;
  if (!op || op.available === 0) return [];
  return plan.iops.filter((i) =>
    reconciles(op, { namespace: i.metadata.namespace ?? '', revision: revisionOf(i) }),
  );
}

/**
 * What `remove` will do, said before it asks: the message and the behaviour
 * come from the same plan, so they cannot disagree. Pure.
 */
export function describeRemoval(plan: RemovalPlan): string {
  const { purge, uninstallIstio } = plan.options;
  const ns = plan.deployment.split('/')[0];
  const lines: string[] = [];
  const n = plan.iops.length;
  const pending = plan.iops.filter(deletionPending);
  if (uninstallIstio) {
    const viaOperator = byOperator(plan);
    const inProcess = plan.iops.filter((i) => !viaOperator.includes(i));
    lines.push(
      n === 0
        ? 'There is no IstioOperator to uninstall.'
        : `This UNINSTALLS Istio: ${n} IstioOperator(s) (${listOf(plan.iops)}) are deleted and everything they ` +
            'installed is removed (Istio CRDs stay unless annotated install.istio.io/delete-crds-on-uninstall=true).',
    );
    if (viaOperator.length > 0)
      lines.push(
        `The running operator ${plan.deployment} uninstalls ${viaOperator.length === n ? (n === 1 ? 'it' : 'them') : listOf(viaOperator)}; remove waits until ${viaOperator.length === 1 ? 'it is' : 'they are'} gone.`,
      );
    if (inProcess.length > 0)
      lines.push(
        `No running operator reconciles ${inProcess.length === n ? (n === 1 ? 'it' : 'them') : listOf(inProcess)}: this command uninstalls ${inProcess.length === 1 ? 'it' : 'them'} itself.`,
      );
    lines.push(
      `Then the operator is removed from namespace ${ns}${purge ? ', with the IstioOperator CRD' : ''}.`,
    );
    return lines.join('\n') + '\n';
  }
  lines.push(
    `This removes the operator from namespace ${ns} (Deployment, RBAC, ServiceAccount, Service). ` +
      'The Istio installation it manages keeps running and is no longer reconciled.',
  );
  if (purge) {
    lines.push(
      n === 0
        ? '--purge also deletes the IstioOperator CRD (there are no IstioOperators).'
        : `--purge releases every IstioOperator (${n}: ${listOf(plan.iops)}): their finalizer is removed first, so ` +
            'nothing is uninstalled, then they are deleted with the IstioOperator CRD.',
    );
    if (pending.length > 0)
      lines.push(
        `${listOf(pending)} ${pending.length === 1 ? 'is' : 'are'} being deleted and waiting for an uninstall: released, what ${pending.length === 1 ? 'it' : 'they'} installed stays. ` +
          '(To uninstall instead: --uninstall-istio.)',
      );
  } else {
    if (n > 0)
      lines.push(
        `The IstioOperators (${n}) and their CRD stay, and so does their finalizer: deleting one later waits until an ` +
          'operator runs again (istio-operator init), or until `istio-operator uninstall NAME -n NAMESPACE` finishes it.',
      );
    for (const p of pending)
      lines.push(
        `IstioOperator ${iopKey(p)} is being deleted and waits for the operator to uninstall it; once the operator is ` +
          `gone nothing will: finish it with \`istio-operator uninstall ${p.metadata.name} -n ${p.metadata.namespace}\`, ` +
          'or remove with --uninstall-istio.',
      );
  }
  return lines.join('\n') + '\n';
}

/** Options for {@link removeOperator}. */
export interface RemoveRun {
  timeoutMs: number;
  onProgress: (line: string) => void;
}

/**
 * Removes the operator as planned. Never deletes namespaces. In order, so
 * that stopping half-way leaves nothing half-done (running it again resumes):
 *
 * 1. `uninstallIstio`: the IstioOperators the running operator reconciles are
 *    deleted and waited for (their finalizer uninstalls them, the operator
 *    still running); the others are uninstalled in this process with the
 *    controller's own finalizer code. Nothing else happens until every one
 *    is gone.
 * 2. `purge` without an uninstall: the operator Deployment is deleted and its
 *    pods waited for — an operator that still runs would uninstall what is
 *    deleted next — then every IstioOperator is released: annotated
 *    `install.istio.io/ignoreReconcile` and its finalizer removed in one
 *    patch, so even an operator this command cannot see (one running outside
 *    the cluster) neither uninstalls it nor puts the finalizer back.
 * 3. The operator's objects are deleted (Deployment, Service, RBAC,
 *    ServiceAccount), and with `purge` the CRD, waited for until it is really
 *    gone: never left Terminating.
 *
 * Returns what was deleted.
 */
export async function removeOperator(
  kc: KubeAccess,
  objects: KubernetesObject[],
  plan: RemovalPlan,
  run: RemoveRun,
): Promise<string[]> {
  const client = new KubeClient(kc);
  const { purge, uninstallIstio } = plan.options;
  if (purge && plan.otherOperators.length > 0) {
    throw new Error(
      `--purge deletes the IstioOperator CRD every operator shares, but other operators are installed: ` +
        plan.otherOperators
          .map((o) => `${o.deployment}${o.revision ? ` (revision ${o.revision})` : ''}`)
          .join(', ') +
        '; remove them first (istio-operator remove --revision REV --operator-namespace NS)',
    );
  }
  const dep = objects.find((o) => o.kind === 'Deployment')!;
  const removed: string[] = [];
  if (uninstallIstio && plan.iops.length > 0) {
    const viaOperator = byOperator(plan);
    if (viaOperator.length > 0) await uninstallThroughOperator(client, viaOperator, run);
    const rest = plan.iops.filter((i) => !viaOperator.includes(i));
    if (rest.length > 0) {
      // Nothing may start reconciling them half-way: an operator that is not available now stays stopped.
      if (!plan.operator || plan.operator.available === 0) {
        if (await stopOperator(client, dep, run)) removed.push(describeObject(dep));
      }
      for (const i of rest) {
        await uninstallInProcess(client, i.metadata.namespace!, i.metadata.name!, {
          timeoutMs: run.timeoutMs,
          onProgress: run.onProgress,
        });
      }
    }
  } else if (purge && plan.iops.length > 0) {
    if (await stopOperator(client, dep, run)) removed.push(describeObject(dep));
    for (const i of plan.iops) await release(client, i);
    run.onProgress(
      `released ${plan.iops.length} IstioOperator(s): nothing they installed is uninstalled`,
    );
  }
  const targets = [...objects]
    .reverse()
    .filter((o) => o.kind !== 'Namespace' && (purge || o.kind !== 'CustomResourceDefinition'));
  for (const o of targets) {
    try {
      await client.delete(o as never);
      removed.push(describeObject(o));
    } catch (err) {
      if (!isNotFound(err))
        throw new Error(`deleting ${describeObject(o)}: ${describeKubeError(err)}`);
    }
  }
  if (purge && plan.crdInstalled) await crdGone(client, run);
  return removed;
}

/** Deletes the IstioOperators and waits until the running operator has uninstalled every one. */
async function uninstallThroughOperator(
  client: KubeClient,
  iops: readonly IstioOperator[],
  run: RemoveRun,
): Promise<void> {
  for (const i of iops) {
    try {
      await client.delete(iopRef(i));
    } catch (err) {
      if (!isNotFound(err))
        throw new Error(`deleting IstioOperator ${iopKey(i)}: ${describeKubeError(err)}`);
    }
  }
  run.onProgress(
    `deleted ${iops.length} IstioOperator(s); waiting for the operator to uninstall them`,
  );
  const left = new Map(iops.map((i) => [iopKey(i), i]));
  const seen = new Map<string, string>();
  const deadline = Date.now() + run.timeoutMs;
  while (left.size > 0) {
    for (const [key, i] of left) {
      let live: IstioOperator;
      try {
        live = (await client.get(iopRef(i))) as unknown as IstioOperator;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        left.delete(key);
        run.onProgress(`IstioOperator ${key} uninstalled`);
        continue;
      }
      const state = `${live.status?.status ?? 'NONE'}${live.status?.message ? `: ${live.status.message}` : ''}`;
      if (seen.get(key) !== state) run.onProgress(`IstioOperator ${key}: ${state}`);
      seen.set(key, state);
    }
    if (left.size === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `not uninstalled after ${Math.round(run.timeoutMs / 1000)}s: ` +
          [...left.keys()].map((k) => `${k} (${seen.get(k) ?? 'unknown'})`).join('; ') +
          '. The operator was left in place so it can finish; run remove again once they are gone',
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Deletes the operator Deployment and waits until none of its pods is left to act. */
async function stopOperator(
  client: KubeClient,
  dep: KubernetesObject,
  run: RemoveRun,
): Promise<boolean> {
  let deleted = true;
  try {
    await client.delete(dep as never);
  } catch (err) {
    if (!isNotFound(err))
      throw new Error(`deleting ${describeObject(dep)}: ${describeKubeError(err)}`);
    deleted = false;
  }
  const ns = dep.metadata!.namespace!;
  const instance = (dep as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.[
    'app.kubernetes.io/instance'
  ];
  await waitFor(
    `the operator's pods in ${ns} gone`,
    async () =>
      (await client.list(PODS, ns, `app.kubernetes.io/instance=${instance ?? ''}`)).length === 0,
    run.timeoutMs,
    undefined,
    250,
  );
  run.onProgress(
    deleted
      ? `stopped the operator (${describeObject(dep)} deleted, its pods gone)`
      : `no operator runs in ${ns} (no ${describeObject(dep)}, no pods)`,
  );
  return deleted;
}

const PODS = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };

const iopRef = (i: IstioOperator) => ({
  ...IOP_RESOURCE,
  metadata: { name: i.metadata.name!, namespace: i.metadata.namespace! },
});

/**
 * Lets an IstioOperator go without an uninstall: our finalizer removed and
 * `ignoreReconcile` set in one patch (see {@link removeOperator}). Retries
 * when it changed since it was read.
 */
async function release(client: KubeClient, iop: IstioOperator): Promise<void> {
  let current: IstioOperator | undefined = iop;
  for (let attempt = 0; current; attempt++) {
    try {
      await client.mergePatch({
        ...IOP_RESOURCE,
        metadata: {
          name: current.metadata.name,
          namespace: current.metadata.namespace,
          annotations: { [IGNORE_ANNOTATION]: 'true' },
          finalizers: (current.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
          resourceVersion: current.metadata.resourceVersion,
        },
      } as KubernetesObject);
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err) || attempt >= 5)
        throw new Error(`releasing IstioOperator ${iopKey(iop)}: ${describeKubeError(err)}`);
    }
    try {
      current = (await client.get(iopRef(iop))) as unknown as IstioOperator;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** Waits until the IstioOperator CRD is gone; names what still holds it when it is not. */
async function crdGone(client: KubeClient, run: RemoveRun): Promise<void> {
  try {
    await waitFor(
      'IstioOperator CRD deleted',
      async () => {
        try {
          await client.get(CRD_REF as never);
          return false;
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
      },
      run.timeoutMs,
      undefined,
      200,
    );
  } catch (err) {
    let held = '';
    try {
      const left = (await client.list(IOP_RESOURCE)) as unknown as IstioOperator[];
      held = left
        .map(
          (i) => `${iopKey(i)} (finalizers: ${(i.metadata.finalizers ?? []).join(', ') || 'none'})`,
        )
        .join('; ');
    } catch {
      // the list may fail while the CRD terminates; the first error says enough
    }
    throw new Error(
      `${(err as Error).message}${held ? `; IstioOperators still held: ${held}` : ''}` +
        ' — remove their finalizers (kubectl patch iop NAME -n NS --type merge -p \'{"metadata":{"finalizers":null}}\')',
    );
  }
  run.onProgress('the IstioOperator CRD is gone');
}
