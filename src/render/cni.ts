import { getBool, getObject, getPath, getString } from '../translate/merge.js';
import type { ComponentPlan, RenderPlan } from '../translate/plan.js';
import { envField, envValue, imageRef, pullPolicy, pullSecretsField, rule } from './common.js';
import type { Json, JsonObject, K8sObject } from './object.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

/**
 * The `Cni` component: the istio-cni node agent that installs Istio's CNI
 * plugin on every node (so pods need no privileged init container), with
 * its ServiceAccount, ClusterRoles (base, repair, and ambient when
 * `values.cni.ambient.enabled`), ConfigMap `istio-cni-config` and DaemonSet
 * `istio-cni-node`; ResourceQuota when `values.cni.resourceQuotas.enabled`.
 */
export function renderCni(plan: RenderPlan, c: ComponentPlan): K8sObject[] {
  const v = plan.values;
  const cni = getObject(v, 'cni');
  const ns = c.namespace;
  const labels = { app: 'istio-cni', release: 'istio' };
  const ambient = getBool(cni, 'ambient.enabled');
  const repair = getBool(cni, 'repair.enabled');
  const out: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'istio-cni', namespace: ns, labels },
      ...pullSecretsField(v),
    },
  ];
  const roles: [string, string, JsonObject[]][] = [
    [
      'istio-cni',
      'istio-cni',
      [rule([''], ['pods', 'nodes', 'namespaces'], ['get', 'list', 'watch'])],
    ],
  ];
  if (repair) {
    roles.push([
      'istio-cni-repair-role',
      'istio-cni-repair-rolebinding',
      [
        rule([''], ['pods'], ['watch', 'get', 'list']),
        ...(getBool(cni, 'repair.repairPods') ? [] : [rule([''], ['pods'], ['delete'])]),
        ...(getBool(cni, 'repair.labelPods') ? [rule([''], ['pods'], ['patch', 'update'])] : []),
      ],
    ]);
  }
  if (ambient) {
    roles.push([
      'istio-cni-ambient',
      'istio-cni-ambient',
      [rule([''], ['pods/status'], ['patch', 'update'])],
    ]);
  }
  for (const [role, binding, rules] of roles) {
    out.push(
      { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: role, labels }, rules },
      {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name: binding, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'istio-cni', namespace: ns }],
      },
    );
  }
  const excluded = getPath(cni, 'excludeNamespaces');
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio-cni-config', namespace: ns, labels },
    data: {
      CURRENT_AGENT_VERSION: c.tag,
      AMBIENT_ENABLED: String(ambient),
      AMBIENT_DNS_CAPTURE: String(getPath(cni, 'ambient.dnsCapture') ?? true),
      AMBIENT_IPV6: String(getPath(cni, 'ambient.ipv6') ?? true),
      AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: String(
        getBool(cni, 'ambient.reconcileIptablesOnStartup'),
      ),
      CHAINED_CNI_PLUGIN: String(getPath(cni, 'chained') !== false),
      EXCLUDE_NAMESPACES: Array.isArray(excluded) ? excluded.map(String).join(',') : '',
      REPAIR_ENABLED: String(repair),
      REPAIR_LABEL_PODS: String(getBool(cni, 'repair.labelPods')),
      REPAIR_DELETE_PODS: String(getBool(cni, 'repair.deletePods')),
      REPAIR_REPAIR_PODS: String(getBool(cni, 'repair.repairPods')),
      REPAIR_INIT_CONTAINER_NAME: 'istio-validation',
      REPAIR_BROKEN_POD_LABEL_KEY: getString(cni, 'repair.brokenPodLabelKey'),
      REPAIR_BROKEN_POD_LABEL_VALUE: getString(cni, 'repair.brokenPodLabelValue'),
    },
  });
  const policy = pullPolicy(v, 'cni.pullPolicy');
  const container: JsonObject = {
    name: 'install-cni',
    image: imageRef(
      c.hub,
      getString(cni, 'image') || 'install-cni',
      c.tag,
      getString(cni, 'variant') || getString(v, 'global.variant'),
    ),
    ...(policy ? { imagePullPolicy: policy } : {}),
    ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
    command: ['install-cni'],
    args: [`--log_output_level=${getString(cni, 'logLevel') || 'info'}`],
    envFrom: [{ configMapRef: { name: 'istio-cni-config' } }],
    env: [
      envValue('REPAIR_NODE_NAME', ''),
      envField('REPAIR_NODE_NAME', 'spec.nodeName'),
      envValue('REPAIR_RUN_AS_DAEMON', 'true'),
      envValue('REPAIR_SIDECAR_ANNOTATION', 'sidecar.istio.io/status'),
      envField('NODE_NAME', 'spec.nodeName'),
      envField('GOMEMLIMIT', 'limits.memory'),
      envField('GOMAXPROCS', 'limits.cpu'),
      envField('POD_NAME', 'metadata.name'),
      envField('POD_NAMESPACE', 'metadata.namespace'),
    ].filter((e, i) => i !== 0),
    resources: getObject(cni, 'resources'),
    securityContext: {
      privileged: false,
      runAsGroup: 0,
      runAsUser: 0,
      runAsNonRoot: false,
      capabilities: {
        drop: ['ALL'],
        add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'],
      },
    },
    volumeMounts: [
      { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
      { mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true },
      { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
      { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
      {
        mountPath: '/host/var/run/netns',
        mountPropagation: 'HostToContainer',
        name: 'cni-netns-dir',
      },
      { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
    ],
  };
  out.push({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'istio-cni-node',
      namespace: ns,
      labels: { 'k8s-app': 'istio-cni-node', release: 'istio' },
    },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'istio-cni-node' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: {
            'k8s-app': 'istio-cni-node',
            'sidecar.istio.io/inject': 'false',
            'istio.io/dataplane-mode': 'none',
          },
          annotations: {
            'sidecar.istio.io/inject': 'false',
            'prometheus.io/port': '15014',
            'prometheus.io/scrape': 'true',
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [
            { effect: 'NoSchedule', operator: 'Exists' },
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
          ],
          priorityClassName: 'system-node-critical',
          serviceAccountName: 'istio-cni',
          terminationGracePeriodSeconds: 5,
          ...pullSecretsField(v),
          containers: [container],
          volumes: [
            {
              name: 'cni-bin-dir',
              hostPath: { path: getString(cni, 'cniBinDir') || '/opt/cni/bin' },
            },
            { name: 'cni-host-procfs', hostPath: { path: '/proc', type: 'Directory' } },
            {
              name: 'cni-ztunnel-sock-dir',
              hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' },
            },
            {
              name: 'cni-net-dir',
              hostPath: { path: getString(cni, 'cniConfDir') || '/etc/cni/net.d' },
            },
            { name: 'cni-socket-dir', hostPath: { path: '/var/run/istio-cni' } },
            {
              name: 'cni-netns-dir',
              hostPath: {
                path: getString(cni, 'cniNetnsDir') || '/var/run/netns',
                type: 'DirectoryOrCreate',
              },
            },
          ] as Json,
        },
      },
    },
  });
  if (getBool(cni, 'resourceQuotas.enabled')) {
    out.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'istio-cni-resource-quota', namespace: ns, labels },
      spec: {
        hard: { pods: String(getPath(cni, 'resourceQuotas.pods') ?? 5000) },
        scopeSelector: {
          matchExpressions: [
            { operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical'] },
          ],
        },
      },
    });
  }
  return out;
}
