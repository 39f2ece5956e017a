import type { JsonObject } from '../json/value.js';
import type { CniSettings } from '../translate/components/cni.js';
import type { ComponentPlan } from '../translate/plan.js';
import { envField, envResource, envValue, PRIVILEGED_SCC, rule } from './common.js';
import type { K8sObject } from './object.js';
import { renderNetworkPolicy } from './network-policy.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

interface RolePair {
  role: string;
  binding: string;
  rules: JsonObject[];
  bindingLabels: Record<string, string>;
}

function rolePairs(s: CniSettings): RolePair[] {
  const labels = { app: 'istio-cni', release: 'istio' };
  const repairLabels = { 'k8s-app': 'istio-cni-repair', release: 'istio' };
  const openshift = s.openshift;
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
  if (s.repair.role) {
    pairs.push({
      role: 'istio-cni-repair-role',
      binding: 'istio-cni-repair-rolebinding',
      rules: [
        rule([''], ['events'], ['create', 'patch']),
        rule([''], ['pods'], ['watch', 'get', 'list']),
        ...(s.repair.deletePods ? [rule([''], ['pods'], ['delete'])] : []),
        ...(s.repair.labelPods ? [rule([''], ['pods'], ['patch', 'update'])] : []),
      ],
      bindingLabels: repairLabels,
    });
  }
  if (s.ambient) {
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

function cniDaemonSet(c: ComponentPlan, s: CniSettings): K8sObject {
  const policy = c.pullPolicy;
  const { ambient, needsProcfs } = s;
  const container: JsonObject = {
    name: 'install-cni',
    image: c.image,
    ...(policy ? { imagePullPolicy: policy } : {}),
    ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/readyz', port: 8000 } },
    command: ['install-cni'],
    // Not cni.logLevel: that is the node agent's setting in its ConfigMap.
    args: [`--log_output_level=${s.logLevel}`],
    envFrom: [{ configMapRef: { name: 'istio-cni-config' } }],
    env: [
      envField('REPAIR_NODE_NAME', 'spec.nodeName', false),
      envValue('REPAIR_RUN_AS_DAEMON', 'true'),
      envValue('REPAIR_SIDECAR_ANNOTATION', 'sidecar.istio.io/status'),
      ...(s.hostNetwork ? [] : [envValue('ALLOW_SWITCH_TO_HOST_NS', 'true')]),
      envField('NODE_NAME', 'spec.nodeName'),
      envResource('GOMEMLIMIT', 'limits.memory', '1'),
      envResource('GOMAXPROCS', 'limits.cpu', '1'),
      envField('POD_NAME', 'metadata.name', false),
      envField('POD_NAMESPACE', 'metadata.namespace', false),
      ...s.env.map((e) => envValue(e.name, e.value)),
    ],
    resources: s.resources,
    securityContext: {
      ...(s.appArmorAnnotation ? {} : { appArmorProfile: { type: 'Unconfined' } }),
      privileged: false,
      runAsGroup: 0,
      runAsUser: 0,
      runAsNonRoot: false,
      capabilities: {
        drop: ['ALL'],
        add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'],
      },
      // Set on OpenShift (platform values); the type defaults to spc_t.
      ...(Object.keys(s.seLinuxOptions).length ? { seLinuxOptions: s.seLinuxOptions } : {}),
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
      labels: { 'k8s-app': 'istio-cni-node', release: 'istio', ...s.daemonSetLabels },
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
            ...s.podLabels,
          },
          annotations: {
            ...(s.appArmorAnnotation
              ? { 'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined' }
              : {}),
            'sidecar.istio.io/inject': 'false',
            'prometheus.io/port': '15014',
            'prometheus.io/scrape': 'true',
            'prometheus.io/path': '/metrics',
            ...s.podAnnotations,
          },
        },
        spec: {
          ...(s.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [
            { effect: 'NoSchedule', operator: 'Exists' },
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoExecute', operator: 'Exists' },
          ],
          priorityClassName: 'system-node-critical',
          serviceAccountName: 'istio-cni',
          terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
          ...(s.pullSecrets.length ? { imagePullSecrets: s.pullSecrets } : {}),
          containers: [container],
          volumes: [
            hostPath('cni-bin-dir', s.dirs.bin),
            ...(needsProcfs ? [hostPath('cni-host-procfs', '/proc', 'Directory')] : []),
            ...(ambient
              ? [hostPath('cni-ztunnel-sock-dir', '/var/run/ztunnel', 'DirectoryOrCreate')]
              : []),
            hostPath('cni-net-dir', s.dirs.conf),
            hostPath('cni-socket-dir', '/var/run/istio-cni'),
            hostPath('cni-netns-dir', s.dirs.netns, 'DirectoryOrCreate'),
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
export function renderCni(c: ComponentPlan & { settings: CniSettings }): K8sObject[] {
  const s = c.settings;
  const ns = c.namespace;
  const labels = { app: 'istio-cni', release: 'istio' };
  const out: K8sObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'istio-cni', namespace: ns, labels },
      ...(s.pullSecrets.length ? { imagePullSecrets: s.pullSecrets } : {}),
    },
  ];
  for (const p of rolePairs(s)) {
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
    data: s.config,
  });
  out.push(cniDaemonSet(c, s));
  if (s.multus) {
    // Multus attaches Istio's CNI plugin through this definition; Istio puts it in `default`.
    out.push({
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'istio-cni', namespace: 'default' },
    });
  }
  if (s.resourceQuota) {
    out.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'istio-cni-resource-quota', namespace: ns },
      spec: {
        hard: { pods: s.resourceQuota.pods },
        scopeSelector: {
          matchExpressions: [
            { operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical'] },
          ],
        },
      },
    });
  }
  if (s.networkPolicy) {
    out.push(
      renderNetworkPolicy({
        name: s.networkPolicy,
        namespace: ns,
        labels: { 'k8s-app': 'istio-cni-node', release: 'istio' },
        podSelector: { 'k8s-app': 'istio-cni-node' },
        rules: [[[15014]], [[8000]]],
      }),
    );
  }
  return out;
}
