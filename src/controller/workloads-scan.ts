import type { KubernetesObject } from '@kubernetes/client-node';
import type { IstioOperator } from '../api/types.js';
import type { KubeClient } from '../kube/client.js';
import type { ResourceType } from '../kube/resource.js';
import { revLabel } from '../render/names.js';
import { render } from './desired.js';
import {
  namespaceView,
  podView,
  webhookConfigView,
  type PodObject,
  type WebhookConfigObject,
} from '../workloads/from-objects.js';
import { injectorsFrom } from '../workloads/injectors.js';
import { staleWorkloads, type RevisionWorkloads } from '../workloads/stale.js';

const PODS: ResourceType = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
const NAMESPACES: ResourceType = {
  apiVersion: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};
const MWCS: ResourceType = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  namespaced: false,
};

/** One IstioOperator's revision and what its injector serves; `error` when its spec does not render. */
export interface IopWorkloads {
  namespace: string;
  name: string;
  report?: RevisionWorkloads;
  error?: string;
}

/**
 * The revision and proxy version each IstioOperator with Pilot injects:
 * its rendered plan's revision (`default` for none) and version — the same
 * render the operator applies, so a pending in-place upgrade (new tag, same
 * revision) already counts as wanted. IstioOperators without Pilot inject
 * nothing and are left out; one whose spec does not render says why.
 */
export function wantedProxies(iops: readonly IstioOperator[]): {
  wanted: Map<string, string>;
  byIop: { iop: IstioOperator; revision?: string; error?: string }[];
} {
  const wanted = new Map<string, string>();
  const byIop: { iop: IstioOperator; revision?: string; error?: string }[] = [];
  for (const iop of iops) {
    let plan;
    try {
      plan = render(iop, iops).plan;
    } catch (err) {
      byIop.push({ iop, error: (err as Error).message.split('\n')[0] ?? '' });
      continue;
    }
    if (!plan.pilot) continue;
    const revision = revLabel(plan.revision);
    wanted.set(revision, plan.version);
    byIop.push({ iop, revision });
  }
  return { wanted, byIop };
}

/**
 * Lists namespaces, pods and the sidecar-injector webhook configurations
 * once and reports, per IstioOperator with Pilot, the workloads whose pods
 * do not run the proxy its revision injects (src/workloads decides). Three
 * list calls whatever the cluster's size.
 */
export async function scanWorkloads(
  client: KubeClient,
  iops: readonly IstioOperator[],
): Promise<IopWorkloads[]> {
  const { wanted, byIop } = wantedProxies(iops);
  const reports = await scanRevisions(client, wanted);
  const byRevision = new Map(reports.map((r) => [r.revision, r]));
  return byIop.map(({ iop, revision, error }) => ({
    namespace: iop.metadata.namespace ?? '',
    name: iop.metadata.name ?? '',
    ...(revision !== undefined ? { report: byRevision.get(revision)! } : {}),
    ...(error !== undefined ? { error } : {}),
  }));
}

/**
 * The report of each revision in `wanted` (revision → the proxy version it
 * injects): namespaces, pods and the sidecar-injector webhook
 * configurations, listed once — three list calls whatever the cluster's size.
 */
export async function scanRevisions(
  client: KubeClient,
  wanted: ReadonlyMap<string, string>,
): Promise<RevisionWorkloads[]> {
  const [namespaces, pods, mwcs] = await Promise.all([
    client.list(NAMESPACES),
    client.list<KubernetesObject & PodObject>(PODS),
    client.list<KubernetesObject & WebhookConfigObject>(MWCS, undefined, 'app=sidecar-injector'),
  ]);
  return staleWorkloads({
    namespaces: namespaces.map(namespaceView),
    pods: pods.map(podView),
    injectors: injectorsFrom(mwcs.map(webhookConfigView)),
    wanted,
  });
}
