import type { KubernetesObject } from '@kubernetes/client-node';
import { istioOperatorCrd } from '../api/schema/crd.js';
import { OPERATOR_VERSION } from '../version.js';
import { operatorClusterRules, operatorNamespaceRules } from './rbac.js';

/** What `istio-operator init` (and `dump`) installs, and where. */
export interface InstallOptions {
  /** Full image reference; overrides hub/tag. */
  image?: string;
  /** Registry of the operator image. Default `docker.io/istio-operator`. */
  hub?: string;
  /** Image tag. Default: this operator's version. */
  tag?: string;
  /** Default `istio-operator`. */
  operatorNamespace?: string;
  /**
   * Namespaces whose IstioOperators the operator reconciles (created by
   * init). Default: all namespaces — the ClusterRole already grants
   * IstioOperator access cluster-wide, and a narrower default left the
   * gateway IstioOperators of examples/demo.yaml (istio-ingress, istio-egress)
   * silently unreconciled.
   */
  watchedNamespaces?: string[];
  imagePullSecrets?: string[];
  /**
   * An operator of one revision: objects named `istio-operator-<rev>`, its
   * own leader Lease, and only IstioOperators with this `spec.revision`,
   * which it claims from the operator of every revision (installed without
   * it) in the same namespace.
   */
  revision?: string;
}

/** Name of the operator's objects: `istio-operator`, or `istio-operator-<revision>`. */
function operatorName(revision?: string): string {
  return revision ? `istio-operator-${revision}` : 'istio-operator';
}

/** Ports the operator serves on: metrics and health. */
const METRICS_PORT = 8383;
const HEALTH_PORT = 8081;

/**
 * Every object `init` applies, in apply order: namespaces, the IstioOperator
 * CRD, RBAC, the Deployment and its metrics Service. Pure: `dump` prints
 * exactly this, and the Helm chart is tested against it.
 */
export function operatorObjects(opts: InstallOptions = {}): KubernetesObject[] {
  const ns = opts.operatorNamespace ?? 'istio-operator';
  const watched = opts.watchedNamespaces?.length ? opts.watchedNamespaces : undefined;
  const name = operatorName(opts.revision);
  const image =
    opts.image ??
    `${opts.hub ?? 'docker.io/istio-operator'}/istio-operator:${opts.tag ?? OPERATOR_VERSION}`;
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'istio-operator',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/version': OPERATOR_VERSION,
    ...(opts.revision ? { 'istio.io/rev': opts.revision } : {}),
  };
  const meta = (n: string, namespaced = true) => ({
    name: n,
    ...(namespaced ? { namespace: ns } : {}),
    labels,
  });
  const selector = { 'app.kubernetes.io/instance': name };
  const args = [
    'run',
    '--leader-elect',
    '--leader-election-namespace',
    ns,
    '--leader-election-id',
    `${name}-leader`,
    ...(watched ? ['--watch-namespaces', watched.join(',')] : []),
    '--log-format',
    'json',
    '--metrics-addr',
    `:${METRICS_PORT}`,
    '--health-addr',
    `:${HEALTH_PORT}`,
    ...(opts.revision ? ['--revision', opts.revision] : []),
  ];
  // istio-system too when every namespace is watched: it is where the control
  // plane's IstioOperator and Istio itself usually live.
  const namespaces = [...new Set([ns, ...(watched ?? ['istio-system'])])].map((n) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: n, labels: { 'app.kubernetes.io/part-of': 'istio-operator' } },
  }));
  return [
    ...namespaces,
    istioOperatorCrd() as unknown as KubernetesObject,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(name, false),
      rules: operatorClusterRules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(name, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${name}-leader-election`),
      rules: operatorNamespaceRules(),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${name}-leader-election`),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: `${name}-leader-election`,
      },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name),
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            ...(opts.imagePullSecrets?.length
              ? { imagePullSecrets: opts.imagePullSecrets.map((s) => ({ name: s })) }
              : {}),
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              runAsGroup: 65532,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'operator',
                image,
                args,
                ports: [
                  { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
                  { name: 'health', containerPort: HEALTH_PORT, protocol: 'TCP' },
                ],
                livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 5 },
                resources: {
                  requests: { cpu: '50m', memory: '128Mi' },
                  limits: { memory: '512Mi' },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`${name}-metrics`),
      spec: { selector, ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics' }] },
    },
  ] as KubernetesObject[];
}
