import type {
  KubernetesObject,
  V1CustomResourceDefinition,
  V1Deployment,
} from '@kubernetes/client-node';
import { describeObject } from '../apply/live.js';
import { workloadReady } from '../apply/readiness.js';
import { waitFor } from '../cluster/health.js';
import type { KubeAccess } from '../kube/access.js';
import { KubeClient } from '../kube/client.js';
import { describeKubeError, isNotFound } from '../kube/errors.js';

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
  if (!run.wait) return;
  const dep = objects.find((o) => o.kind === 'Deployment')!;
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
 * Deletes the operator's own objects (Deployment, Service, RBAC,
 * ServiceAccount), never namespaces, never the Istio installation, and the
 * CRD only with `purge`. Returns what was deleted.
 */
export async function removeOperator(
  kc: KubeAccess,
  objects: KubernetesObject[],
  opts: { purge: boolean },
): Promise<string[]> {
  const client = new KubeClient(kc);
  const removed: string[] = [];
  const targets = [...objects]
    .reverse()
    .filter((o) => o.kind !== 'Namespace' && (opts.purge || o.kind !== 'CustomResourceDefinition'));
  for (const o of targets) {
    try {
      await client.delete(o as never);
      removed.push(describeObject(o));
    } catch (err) {
      if (!isNotFound(err))
        throw new Error(`deleting ${describeObject(o)}: ${describeKubeError(err)}`);
    }
  }
  return removed;
}
