import type { RenderPlan } from '../translate/plan.js';
import { has } from '../releases/changes.js';
import type { IstioRelease } from '../releases/catalog.js';
import { pullSecretsField, rule } from './common.js';
import { clusterRbacName, istiodName } from './names.js';
import type { K8sObject } from './object.js';
import type { JsonObject } from '../json/value.js';

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

/** istiod patches its webhooks' CA bundles (and the validator's failure policy). */
function webhookRules(): JsonObject[] {
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
  ];
}

/** What istiod may do cluster-wide: watch config and workloads, run its webhooks, sign certificates. */
function istiodRules(release: IstioRelease): JsonObject[] {
  const statusOf = (kinds: string[]) => kinds.map((k) => `${k}/status`);
  const listenerSetGA = has(release, 'listenerSetGA');
  const inference = has(release, 'inferenceGroupGA')
    ? 'inference.networking.k8s.io'
    : 'inference.networking.x-k8s.io';
  return [
    ...webhookRules(),
    rule(ISTIO_GROUPS, ['*'], ['get', 'watch', 'list']),
    rule(['networking.istio.io'], ['workloadentries'], WRITE),
    rule(['networking.istio.io'], ['workloadentries/status', 'serviceentries/status'], WRITE),
    rule(['security.istio.io'], ['authorizationpolicies/status'], WRITE),
    rule([''], ['services/status'], WRITE),
    rule(['apiextensions.k8s.io'], ['customresourcedefinitions'], READ),
    rule([''], ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], READ),
    rule(['discovery.k8s.io'], ['endpointslices'], READ),
    rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], READ),
    rule(['networking.k8s.io'], ['ingresses/status'], ['*']),
    rule([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
    rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
    rule(['authorization.k8s.io'], ['subjectaccessreviews'], ['create']),
    rule(
      ['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'],
      ['*'],
      ['get', 'watch', 'list'],
    ),
    rule(
      ['gateway.networking.x-k8s.io'],
      statusOf(['xbackendtrafficpolicies', ...(listenerSetGA ? [] : ['xlistenersets'])]),
      ['update', 'patch'],
    ),
    rule(
      ['gateway.networking.k8s.io'],
      statusOf([
        'backendtlspolicies',
        'gatewayclasses',
        'gateways',
        'grpcroutes',
        'httproutes',
        'referencegrants',
        'tcproutes',
        'tlsroutes',
        'udproutes',
        ...(listenerSetGA ? ['listenersets'] : []),
      ]),
      ['update', 'patch'],
    ),
    rule(
      ['gateway.networking.k8s.io'],
      ['gatewayclasses'],
      ['create', 'update', 'patch', 'delete'],
    ),
    rule([inference], ['inferencepools'], ['get', 'watch', 'list']),
    rule([inference], ['inferencepools/status'], ['update', 'patch']),
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
    rule(['autoscaling'], ['horizontalpodautoscalers'], WRITE),
    rule(['policy'], ['poddisruptionbudgets'], WRITE),
    rule([''], ['services'], WRITE),
    rule([''], ['serviceaccounts'], WRITE),
  ];
}

/** What a remote istiod (or `istioctl`) reads through the reader service account. */
function readerRules(release: IstioRelease): JsonObject[] {
  const core = [
    'endpoints',
    'pods',
    'services',
    'nodes',
    'replicationcontrollers',
    'namespaces',
    'secrets',
  ];
  if (has(release, 'readerReadsConfigMaps')) core.push('configmaps');
  return [
    rule(ISTIO_GROUPS, ['*'], READ),
    rule([''], core, READ),
    rule(['networking.istio.io'], ['workloadentries'], ['get', 'watch', 'list']),
    rule(
      ['networking.x-k8s.io', 'gateway.networking.k8s.io'],
      ['gateways'],
      ['get', 'watch', 'list'],
    ),
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

/** What an external istiod additionally does in a remote cluster through the reader account. */
function remoteReaderRules(): JsonObject[] {
  return [
    rule([''], ['configmaps'], ['create', 'get', 'list', 'watch', 'update']),
    ...webhookRules(),
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
 * namespace so several control planes can coexist. For a remote cluster
 * (`remote`), only the reader pair, unless it is also the config cluster
 * (`configCluster`), where the external istiod acts as istiod.
 */
export function renderPilotRbac(
  plan: RenderPlan,
  namespace: string,
  remote = false,
  configCluster = false,
): K8sObject[] {
  const sa = istiodName(plan.revision);
  const labels = { app: 'istiod', release: 'istio' };
  const reader: ClusterRbac = {
    base: 'istio-reader-clusterrole',
    // In a remote cluster the external istiod works through the reader
    // account, so it also manages this cluster's config maps and webhooks.
    rules: remote
      ? [...readerRules(plan.release), ...remoteReaderRules()]
      : readerRules(plan.release),
    labels: { app: 'istio-reader', release: 'istio' },
    subject: plan.readerServiceAccount ?? 'istio-reader-service-account',
  };
  const readers = plan.readerRbac ? [reader] : [];
  // A remote cluster runs no istiod: only the reader identity.
  if (remote && !configCluster) return clusterRbac(plan, namespace, readers);
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa, namespace, labels },
      ...pullSecretsField(plan),
    },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: sa, namespace, labels },
      rules: namespaceRules(),
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: sa, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
    },
    ...clusterRbac(plan, namespace, [
      { base: 'istiod-clusterrole', rules: istiodRules(plan.release), labels, subject: sa },
      { base: 'istiod-gateway-controller', rules: gatewayControllerRules(), labels, subject: sa },
      ...readers,
    ]),
  ];
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/** One ClusterRole and its binding to a ServiceAccount of the install namespace. */
interface ClusterRbac {
  base: string;
  rules: JsonObject[];
  labels: Record<string, string>;
  /** A ServiceAccount of the install namespace, or one named with its namespace. */
  subject: string | { name: string; namespace: string };
}

function clusterRbac(plan: RenderPlan, namespace: string, pairs: ClusterRbac[]): K8sObject[] {
  return pairs.flatMap((p) => {
    const name = clusterRbacName(p.base, plan.revision, namespace);
    return [
      {
        apiVersion: RBAC,
        kind: 'ClusterRole',
        metadata: { name, labels: p.labels },
        rules: p.rules,
      },
      {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name, labels: p.labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [
          typeof p.subject === 'string'
            ? { kind: 'ServiceAccount', name: p.subject, namespace }
            : { kind: 'ServiceAccount', ...p.subject },
        ],
      },
    ];
  });
}
