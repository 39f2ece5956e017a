import { getBool, getObject, getPath, getString } from '../json/values.js';
import type { ComponentPlan, RenderPlan } from '../translate/plan.js';
import { envField, envResource, envValue, pullSecretsField, rule } from './common.js';
import type { K8sObject } from './object.js';
import type { JsonObject } from '../json/value.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** Which pods ambient mode captures: labelled pods, or pods in labelled namespaces unless opted out. */
const AMBIENT_SELECTOR = [
  '- podSelector:',
  '    matchLabels:',
  '      istio.io/dataplane-mode: ambient',
  '- namespaceSelector:',
  '    matchLabels:',
  '      istio.io/dataplane-mode: ambient',
  '  podSelector:',
  '    matchExpressions:',
  '    - key: istio.io/dataplane-mode',
  '      operator: NotIn',
  '      values:',
  '      - none',
].join('\n');

/** OpenShift only admits the privileged node agent through this SCC. */
export const PRIVILEGED_SCC: JsonObject = {
  apiGroups: ['security.openshift.io'],
  resources: ['securitycontextconstraints'],
  resourceNames: ['privileged'],
  verbs: ['use'],
};

interface RolePair {
  role: string;
  binding: string;
  rules: JsonObject[];
  bindingLabels: Record<string, string>;
}

function rolePairs(v: JsonObject, cni: JsonObject): RolePair[] {
  const labels = { app: 'istio-cni', release: 'istio' };
  const repairLabels = { 'k8s-app': 'istio-cni-repair', release: 'istio' };
  const openshift = getString(v, 'global.platform') === 'openshift';
  const pairs: RolePair[] = [
    {
      role: 'istio-cni',
      binding: 'istio-cni',
      rules: [
        rule([''], ['pods', 'nodes', 'namespaces'], ['get', 'list', 'watch']),
        ...(openshift ? [PRIVILEGED_SCC] : []),
      ],
      bindingLabels: labels,
    },
  ];
  if (getBool(cni, 'repair.enabled')) {
    pairs.push({
      role: 'istio-cni-repair-role',
      binding: 'istio-cni-repair-rolebinding',
      rules: [
        rule([''], ['events'], ['create', 'patch']),
        rule([''], ['pods'], ['watch', 'get', 'list']),
        ...(getBool(cni, 'repair.deletePods') ? [rule([''], ['pods'], ['delete'])] : []),
        ...(getBool(cni, 'repair.labelPods') ? [rule([''], ['pods'], ['patch', 'update'])] : []),
      ],
      bindingLabels: repairLabels,
    });
  }
  if (getBool(cni, 'ambient.enabled')) {
    pairs.push({
      role: 'istio-cni-ambient',
      binding: 'istio-cni-ambient',
      rules: [
        rule([''], ['pods/status'], ['patch', 'update']),
        {
          apiGroups: ['apps'],
          resources: ['daemonsets'],
          resourceNames: ['istio-cni-node'],
          verbs: ['get'],
        },
      ],
      bindingLabels: repairLabels,
    });
  }
  return pairs;
}

/** The node agent's settings, read by install-cni through `envFrom`. */
function cniConfig(v: JsonObject, cni: JsonObject, tag: string): Record<string, string> {
  const excluded = getPath(cni, 'excludeNamespaces');
  const flag = (path: string, dflt: boolean) => String(getPath(cni, path) ?? dflt);
  return {
    CURRENT_AGENT_VERSION: tag,
    AMBIENT_ENABLED: String(getBool(cni, 'ambient.enabled')),
    AMBIENT_ENABLEMENT_SELECTOR: AMBIENT_SELECTOR,
    AMBIENT_DNS_CAPTURE: flag('ambient.dnsCapture', true),
    AMBIENT_IPV6: flag('ambient.ipv6', true),
    AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: flag('ambient.reconcileIptablesOnStartup', false),
    CHAINED_CNI_PLUGIN: flag('chained', true),
    ...(getString(cni, 'cniConfFileName')
      ? { CNI_CONF_NAME: getString(cni, 'cniConfFileName') }
      : {}),
    EXCLUDE_NAMESPACES: Array.isArray(excluded) ? excluded.map(String).join(',') : '',
    ISTIO_OWNED_CNI_CONFIG: flag('istioOwnedCNIConfig', false),
    NATIVE_NFTABLES: String(getBool(v, 'global.nativeNftables')),
    REPAIR_ENABLED: flag('repair.enabled', true),
    REPAIR_LABEL_PODS: flag('repair.labelPods', false),
    REPAIR_DELETE_PODS: flag('repair.deletePods', false),
    REPAIR_REPAIR_PODS: flag('repair.repairPods', true),
    REPAIR_INIT_CONTAINER_NAME: 'istio-validation',
    REPAIR_BROKEN_POD_LABEL_KEY: getString(cni, 'repair.brokenPodLabelKey'),
    REPAIR_BROKEN_POD_LABEL_VALUE: getString(cni, 'repair.brokenPodLabelValue'),
  };
}

function cniDaemonSet(
  v: JsonObject,
  cni: JsonObject,
  c: ComponentPlan,
  logLevel: string,
): K8sObject {
  const policy = c.pullPolicy;
  const userEnv = getObject(cni, 'env');
  const ambient = getBool(cni, 'ambient.enabled');
  // Repairing pods and ambient both look into other processes' /proc.
  const needsProcfs = (getPath(cni, 'repair.repairPods') ?? true) === true || ambient;
  const container: JsonObject = {
    name: 'install-cni',
    image: c.image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
    command: ['install-cni'],
    // Not cni.logLevel: that is the node agent's setting in its ConfigMap.
    args: [`--log_output_level=${logLevel}`],
    envFrom: [{ configMapRef: { name: 'istio-cni-config' } }],
    env: [
      envField('REPAIR_NODE_NAME', 'spec.nodeName', false),
      envValue('REPAIR_RUN_AS_DAEMON', 'true'),
      envValue('REPAIR_SIDECAR_ANNOTATION', 'sidecar.istio.io/status'),
      envValue('ALLOW_SWITCH_TO_HOST_NS', 'true'),
      envField('NODE_NAME', 'spec.nodeName'),
      envResource('GOMEMLIMIT', 'limits.memory', '1'),
      envResource('GOMAXPROCS', 'limits.cpu', '1'),
      envField('POD_NAME', 'metadata.name', false),
      envField('POD_NAMESPACE', 'metadata.namespace', false),
      ...Object.keys(userEnv)
        .sort()
        .map((k) => envValue(k, String(userEnv[k]))),
    ],
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
      // Set on OpenShift (platform values); the type defaults to spc_t.
      ...(Object.keys(getObject(cni, 'seLinuxOptions')).length
        ? { seLinuxOptions: { type: 'spc_t', ...getObject(cni, 'seLinuxOptions') } }
        : {}),
    },
    volumeMounts: [
      { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
      ...(needsProcfs
        ? [{ mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true }]
        : []),
      { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
      { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
      // Only ambient enters pod network namespaces and talks to ztunnel.
      ...(ambient
        ? [
            {
              mountPath: '/host/var/run/netns',
              mountPropagation: 'HostToContainer',
              name: 'cni-netns-dir',
            },
            { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
          ]
        : []),
    ],
  };
  const hostPath = (name: string, path: string, type?: string): JsonObject => ({
    name,
    hostPath: type ? { path, type } : { path },
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'istio-cni-node',
      namespace: c.namespace,
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
            'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined',
            'sidecar.istio.io/inject': 'false',
            'prometheus.io/port': '15014',
            'prometheus.io/scrape': 'true',
            'prometheus.io/path': '/metrics',
            ...(getObject(cni, 'podAnnotations') as Record<string, string>),
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
            hostPath('cni-bin-dir', getString(cni, 'cniBinDir') || '/opt/cni/bin'),
            ...(needsProcfs ? [hostPath('cni-host-procfs', '/proc', 'Directory')] : []),
            ...(ambient
              ? [hostPath('cni-ztunnel-sock-dir', '/var/run/ztunnel', 'DirectoryOrCreate')]
              : []),
            hostPath('cni-net-dir', getString(cni, 'cniConfDir') || '/etc/cni/net.d'),
            hostPath('cni-socket-dir', '/var/run/istio-cni'),
            hostPath(
              'cni-netns-dir',
              getString(cni, 'cniNetnsDir') || '/var/run/netns',
              'DirectoryOrCreate',
            ),
          ],
        },
      },
    },
  };
}

/**
 * The `Cni` component: the istio-cni node agent that installs Istio's CNI
 * plugin on every node (so pods need no privileged init container), with
 * its ServiceAccount, ClusterRoles (base, repair, and ambient when
 * `values.cni.ambient.enabled`), ConfigMap `istio-cni-config` and DaemonSet
 * `istio-cni-node`; a NetworkAttachmentDefinition for the multus provider
 * and a ResourceQuota when `values.cni.resourceQuotas.enabled`.
 */
export function renderCni(plan: RenderPlan, c: ComponentPlan): K8sObject[] {
  const v = plan.values;
  const cni = getObject(v, 'cni');
  const ns = c.namespace;
  const labels = { app: 'istio-cni', release: 'istio' };
  const out: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'istio-cni', namespace: ns, labels },
      ...pullSecretsField(v),
    },
  ];
  for (const p of rolePairs(v, cni)) {
    out.push(
      { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: p.role, labels }, rules: p.rules },
      {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name: p.binding, labels: p.bindingLabels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: p.role },
        subjects: [{ kind: 'ServiceAccount', name: 'istio-cni', namespace: ns }],
      },
    );
  }
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio-cni-config', namespace: ns, labels },
    data: cniConfig(v, cni, c.tag),
  });
  out.push(cniDaemonSet(v, cni, c, plan.cniLoggingLevel));
  if (getString(cni, 'provider') === 'multus') {
    // Multus attaches Istio's CNI plugin through this definition; Istio puts it in `default`.
    out.push({
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'istio-cni', namespace: 'default' },
    });
  }
  if (getBool(cni, 'resourceQuotas.enabled')) {
    out.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'istio-cni-resource-quota', namespace: ns },
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
