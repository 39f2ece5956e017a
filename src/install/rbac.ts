import { WATCHED_KINDS } from '../apply/kinds.js';
import { GROUP, IOP_RESOURCE } from '../api/vocabulary.js';
import { apiGroupOf } from '../kube/resource.js';

/** One RBAC policy rule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Verbs the operator uses on the kinds it renders: cache (get/list/watch), apply (create/patch/update), prune (delete). */
const MANAGED_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];

/**
 * The operator's cluster-wide permissions, derived from the watch table so
 * the two cannot drift apart (a unit test checks every managed kind is here
 * and no rule uses `*`).
 *
 * Why `escalate` and `bind` on roles and cluster roles: the operator creates
 * istiod's ClusterRoles and binds them. Kubernetes only lets a subject create
 * a role granting permissions it holds itself, or bind one, unless it has
 * `escalate` / `bind`. The alternative — granting the operator every
 * permission istiod needs (watch on all Secrets, all Pods, …) — would give
 * the operator itself far more power day to day; `escalate`/`bind` limited to
 * the RBAC kinds is the narrower grant and states the trust honestly: whoever
 * controls IstioOperators can shape istiod's RBAC.
 */
export function operatorClusterRules(): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const k of WATCHED_KINDS) {
    const g = apiGroupOf(k.apiVersion);
    const set = byGroup.get(g) ?? new Set<string>();
    set.add(k.plural);
    byGroup.set(g, set);
  }
  const rules: PolicyRule[] = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([g, resources]) => ({
      apiGroups: [g],
      resources: [...resources].sort(),
      verbs: MANAGED_VERBS,
    }));
  rules.push(
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['clusterroles', 'roles'],
      verbs: ['bind', 'escalate'],
    },
    {
      apiGroups: [GROUP],
      resources: [IOP_RESOURCE.plural],
      verbs: ['get', 'list', 'watch', 'patch', 'update'],
    },
    {
      apiGroups: ['install.istio.io'],
      resources: ['istiooperators/status'],
      verbs: ['get', 'patch', 'update'],
    },
    {
      apiGroups: ['install.istio.io'],
      resources: ['istiooperators/finalizers'],
      verbs: ['update'],
    },
    // Deleting a revisioned IstioOperator waits while namespaces or pods
    // still carry its istio.io/rev label: listing them is all it needs.
    // The proxies loop lists them too (3 lists a scan; no watch: it looks
    // again on a timer, so no cache of every pod in the cluster).
    { apiGroups: [''], resources: ['namespaces', 'pods'], verbs: ['list'] },
    // Restarting stale workloads when an IstioOperator opts in (the
    // restart-workloads annotation): list to read rollouts, patch the pod
    // template as `kubectl rollout restart` does. Deployments and
    // DaemonSets are in the watch table above already.
    { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['list', 'patch'] },
    // Events are recorded on IstioOperators, wherever they live.
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  );
  return rules;
}

/** Permissions in the operator's own namespace: the leader-election Lease and Events about it. */
export function operatorNamespaceRules(): PolicyRule[] {
  return [
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'],
    },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}
