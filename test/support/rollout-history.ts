import type * as k8s from '@kubernetes/client-node';
import type { KubeClient } from '../../src/kube/client.js';
import { openWatch, type WatchHandle } from '../../src/kube/watch.js';

/** One state of a Deployment, as a watch delivered it. */
export interface DeploymentState {
  /** When the test received it (ms since epoch). */
  at: number;
  /** Its place in the namespace's stream: the API server's order of changes. */
  seq: number;
  name: string;
  resourceVersion: string;
  /** A pod-template annotation (the restart marker, restartedAt) or undefined. */
  template: Record<string, string>;
  /** `kubectl rollout status` would say the rollout is complete. */
  complete: boolean;
  deleted: boolean;
}

/**
 * Whether `kubectl rollout status` would call a Deployment's rollout
 * complete: the generation observed, every replica updated, no old one
 * left, every updated one available.
 */
export function rolloutComplete(d: k8s.V1Deployment): boolean {
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) >= want &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}

/** A running record of every change to the Deployments of a namespace. */
export interface DeploymentHistory {
  /** Every state seen, the list's first, then the watch's, in the server's order. */
  readonly states: readonly DeploymentState[];
  /** The latest state of each Deployment. */
  latest(): Map<string, DeploymentState>;
  /** Stops watching; throws if the watch failed on the way (the record would have a gap). */
  stop(): void;
}

const DEPLOYMENTS = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
} as const;

/** How often a watch the server ended is reopened before the record gives up. */
const MAX_REOPENS = 5;

/**
 * Records the Deployments of `namespace` from now on: a list, then a watch
 * from the list's resourceVersion, so the order of the states is the API
 * server's order of the changes (what a poll cannot give: two changes
 * between two polls look simultaneous). A watch the server ends is reopened
 * from the last resourceVersion; one that fails (410 Gone, say) is an error
 * {@link DeploymentHistory.stop} throws.
 */
export async function recordDeployments(
  client: KubeClient,
  namespace: string,
): Promise<DeploymentHistory> {
  const states: DeploymentState[] = [];
  const push = (d: k8s.V1Deployment, deleted: boolean) => {
    states.push({
      at: Date.now(),
      seq: states.length,
      name: d.metadata?.name ?? '',
      resourceVersion: d.metadata?.resourceVersion ?? '',
      template: { ...(d.spec?.template?.metadata?.annotations ?? {}) },
      complete: !deleted && rolloutComplete(d),
      deleted,
    });
  };
  const list = await client.listRaw<k8s.V1Deployment>(DEPLOYMENTS, namespace);
  for (const d of [...list.items].sort((a, b) =>
    (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  ))
    push(d, false);
  let rv = list.metadata?.resourceVersion ?? '';
  let failure: unknown;
  let stopped = false;
  let reopens = 0;
  let handle: WatchHandle | undefined;
  const open = () => {
    handle = openWatch(
      client.kubeConfig,
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      { resourceVersion: rv, allowWatchBookmarks: false },
      (e) => {
        if (e.type === 'ERROR') {
          failure ??= new Error(`watch of ${namespace}'s Deployments: ${JSON.stringify(e.object)}`);
          return;
        }
        const d = e.object as k8s.V1Deployment;
        rv = d.metadata?.resourceVersion ?? rv;
        push(d, e.type === 'DELETED');
      },
      (err) => {
        if (stopped) return;
        if (err !== undefined || ++reopens > MAX_REOPENS) {
          failure ??= err ?? new Error(`watch of ${namespace}'s Deployments ended too often`);
          return;
        }
        open();
      },
    );
  };
  open();
  return {
    states,
    latest: () => new Map(states.map((s) => [s.name, s])),
    stop: () => {
      stopped = true;
      handle?.abort();
      if (failure !== undefined) throw failure as Error;
    },
  };
}
