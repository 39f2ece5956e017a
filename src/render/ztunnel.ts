import { getObject, getPath, getString } from '../json/values.js';
import type { ComponentPlan, RenderPlan } from '../translate/plan.js';
import { envField, envResource, envValue, pullSecretsField } from './common.js';
import { PRIVILEGED_SCC } from './cni.js';
import { istiodName } from './names.js';
import type { K8sObject } from './object.js';
import type { Json, JsonObject } from '../json/value.js';

/**
 * The `Ztunnel` component (ambient mode): the per-node L4 proxy DaemonSet
 * `ztunnel` (container `istio-proxy`, `<hub>/ztunnel:<tag>`, stats on
 * 15020, ready on 15021) and its ServiceAccount; on OpenShift also the
 * ClusterRole/Binding granting the privileged SCC.
 */
export function renderZtunnel(plan: RenderPlan, c: ComponentPlan): K8sObject[] {
  const v = plan.values;
  const z = getObject(v, 'ztunnel');
  const ns = c.namespace;
  const name = getString(z, 'resourceName') || 'ztunnel';
  // Istio's ztunnel objects carry no chart labels of their own, only ownership ones.
  const labels = {};
  const policy = c.pullPolicy;
  const caAddress =
    getString(z, 'caAddress') ||
    getString(v, 'global.caAddress') ||
    `${istiodName(plan.revision)}.${plan.istioNamespace}.svc:15012`;
  const xdsAddress = getString(z, 'xdsAddress') || caAddress;
  const userEnv = getObject(z, 'env');
  const env: JsonObject[] = [
    envValue('CA_ADDRESS', caAddress),
    envValue('XDS_ADDRESS', xdsAddress),
    envValue('RUST_LOG', getString(z, 'logLevel') || 'info'),
    envValue('RUST_BACKTRACE', '1'),
    envValue(
      'ISTIO_META_CLUSTER_ID',
      getString(v, 'global.multiCluster.clusterName') || 'Kubernetes',
    ),
    envValue('INPOD_ENABLED', 'true'),
    envValue(
      'TERMINATION_GRACE_PERIOD_SECONDS',
      String(getPath(z, 'terminationGracePeriodSeconds') ?? 30),
    ),
    envField('POD_NAME', 'metadata.name', false),
    envField('POD_NAMESPACE', 'metadata.namespace', false),
    envField('NODE_NAME', 'spec.nodeName', false),
    envField('INSTANCE_IP', 'status.podIP', false),
    envField('SERVICE_ACCOUNT', 'spec.serviceAccountName', false),
    envValue('ISTIO_META_ENABLE_HBONE', 'true'),
    envResource('ZTUNNEL_CPU_LIMIT', 'limits.cpu'),
  ];
  for (const k of Object.keys(userEnv).sort()) env.push(envValue(k, String(userEnv[k])));
  const container: JsonObject = {
    name: 'istio-proxy',
    image: c.image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    ports: [{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }],
    resources: getObject(z, 'resources'),
    securityContext: {
      allowPrivilegeEscalation: true,
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] },
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: false,
      runAsUser: 0,
      ...(Object.keys(getObject(z, 'seLinuxOptions')).length
        ? { seLinuxOptions: getObject(z, 'seLinuxOptions') }
        : {}),
    },
    readinessProbe: { httpGet: { port: 15021, path: '/healthz/ready' } },
    args: ['proxy', 'ztunnel'],
    env,
    volumeMounts: [
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
      { mountPath: '/tmp', name: 'tmp' },
    ],
  };
  const sccLabels = { app: 'ztunnel', release: 'ztunnel' };
  const openshift: K8sObject[] =
    getString(v, 'global.platform') === 'openshift'
      ? [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name, labels: sccLabels },
            rules: [PRIVILEGED_SCC],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name, labels: sccLabels },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
            subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
          },
        ]
      : [];
  return [
    ...openshift,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: ns, labels },
      ...pullSecretsField(v),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: ns, labels },
      spec: {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        },
        selector: { matchLabels: { app: 'ztunnel' } },
        template: {
          metadata: {
            labels: {
              'sidecar.istio.io/inject': 'false',
              'istio.io/dataplane-mode': 'none',
              app: 'ztunnel',
            },
            annotations: {
              'sidecar.istio.io/inject': 'false',
              'prometheus.io/port': '15020',
              'prometheus.io/scrape': 'true',
              ...(getObject(z, 'podAnnotations') as Record<string, string>),
            },
          },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            serviceAccountName: name,
            tolerations: [
              { effect: 'NoSchedule', operator: 'Exists' },
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { effect: 'NoExecute', operator: 'Exists' },
            ],
            priorityClassName: 'system-node-critical',
            terminationGracePeriodSeconds: (getPath(z, 'terminationGracePeriodSeconds') ??
              30) as Json,
            containers: [container],
            volumes: [
              {
                name: 'istio-token',
                projected: {
                  sources: [
                    {
                      serviceAccountToken: {
                        path: 'istio-token',
                        expirationSeconds: 43200,
                        audience: 'istio-ca',
                      },
                    },
                  ],
                },
              },
              {
                name: 'istiod-ca-cert',
                configMap: { name: getString(v, 'global.trustBundleName') || 'istio-ca-root-cert' },
              },
              {
                name: 'cni-ztunnel-sock-dir',
                hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' },
              },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
  ];
}
