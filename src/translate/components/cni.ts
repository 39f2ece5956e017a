import { getBool, getObject, getPath, getString } from '../../json/values.js';
import type { Json, JsonObject } from '../../json/value.js';
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';

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

/**
 * Everything the CNI renderer needs beyond the component's image and
 * namespace, resolved from the values once (render/cni.ts looks nothing
 * up itself).
 */
export interface CniSettings {
  openshift: boolean;
  /** Ambient mode: the ambient role, the ztunnel socket mount. */
  ambient: boolean;
  /** Pod repair: its role, and the rights to delete or label pods. */
  repair: { role: boolean; deletePods: boolean; labelPods: boolean };
  /** ConfigMap `istio-cni-config`, read by install-cni through `envFrom`. */
  config: Record<string, string>;
  /** install-cni's `--log_output_level` (translate/plan.ts says how it is chosen). */
  logLevel: string;
  /** The user's extra env, sorted by name. */
  env: { name: string; value: string }[];
  /** Repairing pods and ambient both look into other processes' /proc. */
  needsProcfs: boolean;
  resources: JsonObject;
  /** With its type defaulted to spc_t when set (OpenShift); {} elsewhere. */
  seLinuxOptions: JsonObject;
  podAnnotations: Record<string, string>;
  pullSecrets: { name: string }[];
  dirs: { bin: string; conf: string; netns: string };
  /** Chained through multus (a NetworkAttachmentDefinition). */
  multus: boolean;
  /** A ResourceQuota for the node agents' namespace, when enabled. */
  resourceQuota?: { pods: string };
  /** Extra labels on the DaemonSet and on its pods (1.28+, `cni.daemonSetLabels`/`podLabels`). */
  daemonSetLabels: Record<string, string>;
  podLabels: Record<string, string>;
  /** The pods' grace period: a fixed 5 s before 1.29, then `cni.terminationGracePeriodSeconds`. */
  terminationGracePeriodSeconds: Json;
  /**
   * How install-cni runs AppArmor-unconfined: the pod annotation (always
   * before 1.30; then unless `cni.useAppArmorAnnotation` is false), else
   * the container's `securityContext.appArmorProfile`.
   */
  appArmorAnnotation: boolean;
  /** The NetworkPolicy's name when one is rendered (1.29+, `global.networkPolicy.enabled`). */
  networkPolicy?: string;
  /** Ambient with `cni.ambient.shareHostNetworkNamespace`: the agent runs in the node's network namespace. */
  hostNetwork: boolean;
}

/** Resolves the CNI settings; `tag` is the component's (the agent reports it). */
export function cniSettings(
  values: JsonObject,
  tag: string,
  logLevel: string,
  release: IstioRelease,
  revision = '',
): CniSettings {
  const cni = getObject(values, 'cni');
  const flag = (path: string, dflt: boolean) => String(getPath(cni, path) ?? dflt);
  const excluded = getPath(cni, 'excludeNamespaces');
  const ambient = getBool(cni, 'ambient.enabled');
  const env = getObject(cni, 'env');
  const se = getObject(cni, 'seLinuxOptions');
  const secrets = getPath(values, 'global.imagePullSecrets');
  return {
    openshift: getString(values, 'global.platform') === 'openshift',
    ambient,
    repair: {
      role: getBool(cni, 'repair.enabled'),
      deletePods: getBool(cni, 'repair.deletePods'),
      labelPods: getBool(cni, 'repair.labelPods'),
    },
    config: {
      CURRENT_AGENT_VERSION: tag,
      AMBIENT_ENABLED: String(ambient),
      AMBIENT_ENABLEMENT_SELECTOR: AMBIENT_SELECTOR,
      AMBIENT_DNS_CAPTURE: flag('ambient.dnsCapture', true),
      AMBIENT_IPV6: flag('ambient.ipv6', true),
      AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: flag('ambient.reconcileIptablesOnStartup', false),
      ...(has(release, 'cniAmbientDetectionRetry')
        ? { ENABLE_AMBIENT_DETECTION_RETRY: flag('ambient.enableAmbientDetectionRetry', false) }
        : {}),
      CHAINED_CNI_PLUGIN: flag('chained', true),
      ...(getString(cni, 'cniConfFileName')
        ? { CNI_CONF_NAME: getString(cni, 'cniConfFileName') }
        : {}),
      EXCLUDE_NAMESPACES: Array.isArray(excluded) ? excluded.map(String).join(',') : '',
      ISTIO_OWNED_CNI_CONFIG: flag('istioOwnedCNIConfig', false),
      NATIVE_NFTABLES: String(getBool(values, 'global.nativeNftables')),
      REPAIR_ENABLED: flag('repair.enabled', true),
      REPAIR_LABEL_PODS: flag('repair.labelPods', false),
      REPAIR_DELETE_PODS: flag('repair.deletePods', false),
      REPAIR_REPAIR_PODS: flag('repair.repairPods', true),
      REPAIR_INIT_CONTAINER_NAME: 'istio-validation',
      REPAIR_BROKEN_POD_LABEL_KEY: getString(cni, 'repair.brokenPodLabelKey'),
      REPAIR_BROKEN_POD_LABEL_VALUE: getString(cni, 'repair.brokenPodLabelValue'),
    },
    logLevel,
    env: Object.keys(env)
      .sort()
      .map((k) => ({ name: k, value: String(env[k]) })),
    needsProcfs: (getPath(cni, 'repair.repairPods') ?? true) === true || ambient,
    resources: getObject(cni, 'resources'),
    seLinuxOptions: Object.keys(se).length ? { type: 'spc_t', ...se } : {},
    podAnnotations: getObject(cni, 'podAnnotations') as Record<string, string>,
    pullSecrets: Array.isArray(secrets) ? secrets.map((name) => ({ name: String(name) })) : [],
    dirs: {
      bin: getString(cni, 'cniBinDir') || '/opt/cni/bin',
      conf: getString(cni, 'cniConfDir') || '/etc/cni/net.d',
      netns: getString(cni, 'cniNetnsDir') || '/var/run/netns',
    },
    multus: getString(cni, 'provider') === 'multus',
    daemonSetLabels: has(release, 'cniAmbientDetectionRetry')
      ? (getObject(cni, 'daemonSetLabels') as Record<string, string>)
      : {},
    podLabels: has(release, 'cniAmbientDetectionRetry')
      ? (getObject(cni, 'podLabels') as Record<string, string>)
      : {},
    terminationGracePeriodSeconds: has(release, 'cniGracePeriodValue')
      ? (getPath(cni, 'terminationGracePeriodSeconds') ?? 30)
      : 5,
    ...(has(release, 'networkPolicyNodeAgents') &&
    getPath(values, 'global.networkPolicy.enabled') === true
      ? { networkPolicy: revision ? `istio-cni-${revision}` : 'istio-cni' }
      : {}),
    hostNetwork: ambient && getPath(cni, 'ambient.shareHostNetworkNamespace') === true,
    appArmorAnnotation:
      !has(release, 'cniAppArmorChoice') || getPath(cni, 'useAppArmorAnnotation') !== false,
    ...(getBool(cni, 'resourceQuotas.enabled')
      ? { resourceQuota: { pods: String(getPath(cni, 'resourceQuotas.pods') ?? 5000) } }
      : {}),
  };
}
