import type { PodView, WorkloadRef } from './types.js';

/**
 * The workload a pod belongs to: its controller owner, with a ReplicaSet
 * made by a Deployment read back as that Deployment. The Deployment is
 * found from the names alone (its ReplicaSets are `<deployment>-<hash>`,
 * the hash also the pod's `pod-template-hash` label), so the operator needs
 * no read access to ReplicaSets. A pod with no controller is a bare pod.
 */
export function workloadOf(
  pod: Pick<PodView, 'namespace' | 'name' | 'labels' | 'ownerReferences'>,
): WorkloadRef {
  const owner = pod.ownerReferences.find((o) => o.controller) ?? pod.ownerReferences[0];
  if (!owner) return { namespace: pod.namespace, kind: 'Pod', name: pod.name };
  const hash = pod.labels['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return {
      namespace: pod.namespace,
      kind: 'Deployment',
      name: owner.name.slice(0, -(hash.length + 1)),
    };
  }
  return { namespace: pod.namespace, kind: owner.kind, name: owner.name };
}
