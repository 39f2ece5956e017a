import type { RenderPlan } from '../translate/plan.js';
import { pullSecretsField, rule } from './common.js';
import { clusterRbacName, istiodName } from './names.js';
import type { JsonObject, K8sObject } from './object.js';

const ISTIO_GROUPS = [
  'config.istio.io',
  'security.istio.io',
  'networking.istio.io',
  'authentication.istio.io',
  'rbac.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
];
const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'];
const GATEWAY_GROUPS = ['networking.x-k8s.io', 'gateway.networking.k8s.io'];

/** What istiod may do cluster-wide: watch config and workloads, run its webhooks, sign certificates. */
function istiodRules(): JsonObject[] {
  return [
    rule(
      ['admissionregistration.k8s.io'],
      ['mutatingwebhookconfigurations'],
      ['get', 'list', 'watch', 'update', 'patch'],
    ),
    rule(
      ['admissionregistration.k8s.io'],
      ['validatingwebhookconfigurations'],
      ['get', 'list', 'watch', 'update'],
    ),
    rule(ISTIO_GROUPS, ['*'], ['get', 'watch', 'list']),
    rule(['networking.istio.io'], ['workloadentries'], WRITE),
    rule(['networking.istio.io'], ['workloadentries/status', 'serviceentries/status'], WRITE),
    rule(['security.istio.io'], ['authorizationpolicies/status'], WRITE),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule([''], ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], READ),
    rule(['networking.k8s.io'], ['ingresses/status'], ['*']),
    rule([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
    rule(
      ['certificates.k8s.io'],
      [
        'certificatesigningrequests',
        'certificatesigningrequests/approval',
        'certificatesigningrequests/status',
      ],
      ['update', 'create', 'get', 'delete', 'watch'],
    ),
    {
      apiGroups: ['certificates.k8s.io'],
      resources: ['signers'],
      resourceNames: ['kubernetes.io/legacy-unknown'],
      verbs: ['approve'],
    },
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    rule(GATEWAY_GROUPS, ['*'], ['get', 'watch', 'list']),
    rule(GATEWAY_GROUPS, ['*'], ['update', 'patch']),
    rule(
      ['gateway.networking.k8s.io'],
      ['gatewayclasses'],
      ['create', 'update', 'patch', 'delete'],
    ),
    rule([''], ['secrets'], ['get', 'watch', 'list']),
    rule(
      ['multicluster.x-k8s.io'],
      ['serviceexports'],
      ['get', 'watch', 'list', 'create', 'delete'],
    ),
    rule(['multicluster.x-k8s.io'], ['serviceimports'], ['get', 'watch', 'list']),
  ];
}

/** What istiod's Gateway API deployment controller creates for each Gateway. */
function gatewayControllerRules(): JsonObject[] {
  return [
    rule(['apps'], ['deployments'], WRITE),
    rule([''], ['services'], WRITE),
    rule([''], ['serviceaccounts'], WRITE),
  ];
}

/** What a remote istiod (or `istioctl`) reads through the reader service account. */
function readerRules(): JsonObject[] {
  return [
    rule(ISTIO_GROUPS, ['*'], READ),
    rule(
      [''],
      ['endpoints', 'pods', 'services', 'nodes', 'replicationcontrollers', 'namespaces', 'secrets'],
      READ,
    ),
    rule(['networking.istio.io'], ['workloadentries'], READ),
    rule(GATEWAY_GROUPS, ['gateways'], ['get', 'watch', 'list']),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(
      ['multicluster.x-k8s.io'],
      ['serviceexports'],
      ['get', 'list', 'watch', 'create', 'delete'],
    ),
    rule(['multicluster.x-k8s.io'], ['serviceimports'], READ),
    rule(['apps'], ['replicasets'], READ),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
  ];
}

/** What istiod may do in its own namespace: gateways, CA secrets, config maps, leader leases. */
function namespaceRules(): JsonObject[] {
  return [
    rule(['networking.istio.io'], ['gateways'], ['create']),
    rule([''], ['secrets'], ['create', 'get', 'watch', 'list', 'update', 'delete']),
    rule([''], ['configmaps'], ['delete']),
    rule(['coordination.k8s.io'], ['leases'], ['get', 'update', 'patch', 'create']),
  ];
}

/**
 * istiod's identity and permissions: ServiceAccount, namespaced Role and
 * RoleBinding, and three ClusterRole/ClusterRoleBinding pairs (istiod,
 * Gateway API deployment controller, reader), named per revision and
 * namespace so several control planes can coexist.
 */
export function renderPilotRbac(plan: RenderPlan, namespace: string): K8sObject[] {
  const rev = plan.revision;
  const sa = istiodName(rev);
  const labels = { app: 'istiod', release: 'istio' };
  const clusterLabels = { app: 'istiod', release: 'istio' };
  const readerLabels = { app: 'istio-reader', release: 'istio' };
  const pairs: [string, JsonObject[], Record<string, string>, string][] = [
    ['istiod-clusterrole', istiodRules(), clusterLabels, sa],
    ['istiod-gateway-controller', gatewayControllerRules(), clusterLabels, sa],
    ['istio-reader-clusterrole', readerRules(), readerLabels, 'istio-reader-service-account'],
  ];
  const out: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace, labels },
      ...pullSecretsField(plan.values),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: sa, namespace, labels },
      rules: namespaceRules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: sa, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
    },
  ];
  for (const [base, rules, l, subject] of pairs) {
    const name = clusterRbacName(base, rev, namespace);
    out.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name, labels: l },
        rules,
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name, labels: l },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: subject, namespace }],
      },
    );
  }
  return out;
}
