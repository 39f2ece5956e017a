import type { JsonObject } from '../json/value.js';
import type { ZtunnelSettings } from '../translate/components/ztunnel.js';
import type { ComponentPlan } from '../translate/plan.js';
import { envField, envResource, envValue, PRIVILEGED_SCC } from './common.js';
import type { K8sObject } from './object.js';
import { renderNetworkPolicy } from './network-policy.js';

/**
 * The `Ztunnel` component (ambient mode): the per-node L4 proxy DaemonSet
 * `ztunnel` (container `istio-proxy`, `<hub>/ztunnel:<tag>`, stats on
 * 15020, ready on 15021) and its ServiceAccount; on OpenShift also the
 * ClusterRole/Binding granting the privileged SCC. Reads only the plan's
 * settings (translate/components/ztunnel.ts): no lookups into values.
 */
export function renderZtunnel(c: ComponentPlan & { settings: ZtunnelSettings }): K8sObject[] {
  const z = c.settings;
  const ns = c.namespace;
  const name = z.resourceName;
  // Istio's ztunnel objects carry no chart labels of their own (only the user's and ownership ones).
  const labels = { ...z.labels };
  const annotations = Object.keys(z.annotations).length ? { annotations: z.annotations } : {};
  const policy = c.pullPolicy;
  const env: JsonObject[] = [
    envValue('CA_ADDRESS', z.caAddress),
    envValue('XDS_ADDRESS', z.xdsAddress),
    envValue('RUST_LOG', z.logLevel),
    envValue('RUST_BACKTRACE', '1'),
    envValue('ISTIO_META_CLUSTER_ID', z.clusterName),
    envValue('INPOD_ENABLED', 'true'),
    envValue('TERMINATION_GRACE_PERIOD_SECONDS', String(z.terminationGracePeriodSeconds)),
    envField('POD_NAME', 'metadata.name', false),
    envField('POD_NAMESPACE', 'metadata.namespace', false),
    envField('NODE_NAME', 'spec.nodeName', false),
    envField('INSTANCE_IP', 'status.podIP', false),
    envField('SERVICE_ACCOUNT', 'spec.serviceAccountName', false),
    ...z.proxyMetadata.map((e) => envValue(e.name, e.value)),
    envResource('ZTUNNEL_CPU_LIMIT', 'limits.cpu', z.cpuLimitDivisor),
    ...(z.resourceCpuEnv.limit
      ? [envResource('ZTUNNEL_RESOURCE_CPU_LIMIT', 'limits.cpu', '1')]
      : []),
    ...(z.resourceCpuEnv.request
      ? [envResource('ZTUNNEL_RESOURCE_CPU_REQUEST', 'requests.cpu', '1')]
      : []),
  ];
  for (const e of z.env) env.push(envValue(e.name, e.value));
  const crlDir = '/var/run/secrets/istio/crl';
  if (z.peerCaCrl) env.push(envValue('CRL_PATH', `${crlDir}/ca-crl.pem`));
  const container: JsonObject = {
    name: 'istio-proxy',
    image: c.image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    ports: [{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }],
    resources: z.resources,
    securityContext: {
      allowPrivilegeEscalation: true,
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] },
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: false,
      runAsUser: 0,
      ...(Object.keys(z.seLinuxOptions).length ? { seLinuxOptions: z.seLinuxOptions } : {}),
    },
    readinessProbe: { httpGet: { port: 15021, path: '/healthz/ready' } },
    args: ['proxy', 'ztunnel'],
    env,
    volumeMounts: [
      { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
      { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
      { mountPath: '/tmp', name: 'tmp' },
      ...(z.peerCaCrl ? [{ mountPath: crlDir, name: 'crl-volume', readOnly: true }] : []),
    ],
  };
  const sccLabels = { app: 'ztunnel', release: 'ztunnel' };
  const openshift: K8sObject[] = z.openshift
    ? [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name, labels: { ...sccLabels, ...z.labels }, ...annotations },
          rules: [PRIVILEGED_SCC],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name, labels: { ...sccLabels, ...z.labels }, ...annotations },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
        },
      ]
    : [];
  const netpol: K8sObject[] = z.networkPolicy
    ? [
        renderNetworkPolicy({
          name: z.networkPolicy,
          namespace: ns,
          labels: { app: 'ztunnel', release: 'istio' },
          podSelector: { app: 'ztunnel' },
          rules: [
            ...[15021, 15020, 15000, 15008, 15001, 15006].map((p): [number][] => [[p]]),
            [
              [15053, 'TCP'],
              [15053, 'UDP'],
            ],
          ],
        }),
      ]
    : [];
  return [
    ...openshift,
    ...netpol,
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace: ns, labels, ...annotations },
      ...(z.pullSecrets.length ? { imagePullSecrets: z.pullSecrets } : {}),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: ns, labels, ...annotations },
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
              ...(z.revision ? { 'istio.io/rev': z.revision } : {}),
              'prometheus.io/port': '15020',
              'prometheus.io/scrape': 'true',
              ...z.podAnnotations,
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
            ...(z.dnsPolicy ? { dnsPolicy: z.dnsPolicy } : {}),
            ...(Object.keys(z.dnsConfig).length ? { dnsConfig: z.dnsConfig } : {}),
            priorityClassName: 'system-node-critical',
            terminationGracePeriodSeconds: z.terminationGracePeriodSeconds,
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
                configMap: { name: z.trustBundleName },
              },
              {
                name: 'cni-ztunnel-sock-dir',
                hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' },
              },
              { name: 'tmp', emptyDir: {} },
              ...(z.peerCaCrl
                ? [{ name: 'crl-volume', configMap: { name: 'istio-ca-crl', optional: true } }]
                : []),
            ],
          },
        },
      },
    },
  ];
}
