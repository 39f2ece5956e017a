import { getObject, getPath, getString, truthy } from '../../json/values.js';
import type { Json, JsonObject } from '../../json/value.js';
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';

/**
 * Everything the ztunnel renderer needs beyond the component's image and
 * namespace, resolved from the values once: render/ztunnel.ts reads these
 * fields and looks nothing up itself. (The pattern for the other
 * components: one typed settings block each, computed in translate.)
 */
export interface ZtunnelSettings {
  /** Name of the DaemonSet, its ServiceAccount and (OpenShift) SCC role. */
  resourceName: string;
  /** istiod's CA address (`ztunnel.caAddress`, `global.caAddress`, else the revision's istiod). */
  caAddress: string;
  /** xDS address (`ztunnel.xdsAddress`, else the CA address). */
  xdsAddress: string;
  /** `RUST_LOG`. */
  logLevel: string;
  clusterName: string;
  terminationGracePeriodSeconds: Json;
  /**
   * The ztunnel chart's `meshConfig.defaultConfig.proxyMetadata` as env, sorted by
   * name: the chart profile's (ambient sets ISTIO_META_ENABLE_HBONE) under
   * `ztunnel.meshConfig`'s. The IstioOperator's own `meshConfig` is not read here.
   */
  proxyMetadata: { name: string; value: string }[];
  /** The user's extra env, sorted by name. */
  env: { name: string; value: string }[];
  resources: JsonObject;
  /** Set on OpenShift (the platform values); {} elsewhere. */
  seLinuxOptions: JsonObject;
  podAnnotations: Record<string, string>;
  /** OpenShift: also a ClusterRole/Binding for the privileged SCC. */
  openshift: boolean;
  /** ConfigMap holding the mesh's root certificate. */
  trustBundleName: string;
  /** `global.imagePullSecrets`, for the ServiceAccount. */
  pullSecrets: { name: string }[];
  /** The CPU-limit env var's divisor (`"1"` from 1.29; undefined: none written). */
  cpuLimitDivisor?: string;
  /**
   * ZTUNNEL_RESOURCE_CPU_LIMIT / _REQUEST (1.31+): written when the values
   * set that CPU (the requests' 200m by default), so ztunnel sizes its
   * worker threads from them.
   */
  resourceCpuEnv: { limit: boolean; request: boolean };
  /** Check peers against the CRL in ConfigMap istio-ca-crl (1.29+, `ztunnel.peerCaCrl.enabled`). */
  peerCaCrl: boolean;
  /** The pod's DNS policy and config (1.30+, `ztunnel.dnsPolicy`/`dnsConfig`; '' / {}: unset). */
  dnsPolicy: string;
  dnsConfig: JsonObject;
  /** The NetworkPolicy's name when one is rendered (1.29+, `global.networkPolicy.enabled`). */
  networkPolicy?: string;
  /** The control plane revision ('' for the default), which the pods carry as `istio.io/rev`. */
  revision: string;
  /** Annotations of every ztunnel object (`ztunnel.annotations`, plus `istio.io/rev` for a revision). */
  annotations: Record<string, string>;
  /** Extra labels of every ztunnel object (`ztunnel.labels`). */
  labels: Record<string, string>;
}

/** Resolves the ztunnel settings; `istiodCa` is the revision's istiod address (port 15012). */
export function ztunnelSettings(
  values: JsonObject,
  istiodCa: string,
  release: IstioRelease,
  revision = '',
  /** The chart profile's values (`chartProfileValues`), whose `meshConfig` is the ztunnel chart's. */
  chartProfile: JsonObject = {},
): ZtunnelSettings {
  const z = getObject(values, 'ztunnel');
  const metadata = {
    ...getObject(chartProfile, 'meshConfig.defaultConfig.proxyMetadata'),
    ...getObject(z, 'meshConfig.defaultConfig.proxyMetadata'),
  };
  const caAddress = getString(z, 'caAddress') || getString(values, 'global.caAddress') || istiodCa;
  const env = getObject(z, 'env');
  return {
    resourceName: getString(z, 'resourceName') || 'ztunnel',
    caAddress,
    xdsAddress: getString(z, 'xdsAddress') || caAddress,
    logLevel: getString(z, 'logLevel') || 'info',
    clusterName: getString(values, 'global.multiCluster.clusterName') || 'Kubernetes',
    terminationGracePeriodSeconds: getPath(z, 'terminationGracePeriodSeconds') ?? 30,
    proxyMetadata: Object.keys(metadata)
      .sort()
      .map((k) => ({ name: k, value: String(metadata[k]) })),
    env: Object.keys(env)
      .sort()
      .map((k) => ({ name: k, value: String(env[k]) })),
    resources: getObject(z, 'resources'),
    seLinuxOptions: getObject(z, 'seLinuxOptions'),
    podAnnotations: getObject(z, 'podAnnotations') as Record<string, string>,
    openshift: getString(values, 'global.platform') === 'openshift',
    trustBundleName: getString(values, 'global.trustBundleName') || 'istio-ca-root-cert',
    pullSecrets: pullSecretNames(values),
    ...(has(release, 'cpuLimitDivisor') ? { cpuLimitDivisor: '1' } : {}),
    ...(has(release, 'networkPolicyNodeAgents') &&
    getPath(values, 'global.networkPolicy.enabled') === true
      ? {
          networkPolicy: `${getString(z, 'resourceName') || 'ztunnel'}${revision ? `-${revision}` : ''}`,
        }
      : {}),
    revision,
    annotations: {
      ...(getObject(z, 'annotations') as Record<string, string>),
      ...(revision ? { 'istio.io/rev': revision } : {}),
    },
    labels: getObject(z, 'labels') as Record<string, string>,
    resourceCpuEnv: {
      limit: has(release, 'ztunnelResourceCpuEnv') && truthy(getPath(z, 'resources.limits.cpu')),
      request:
        has(release, 'ztunnelResourceCpuEnv') && truthy(getPath(z, 'resources.requests.cpu')),
    },
    peerCaCrl: has(release, 'ztunnelPeerCaCrl') && getPath(z, 'peerCaCrl.enabled') === true,
    dnsPolicy: has(release, 'ztunnelDnsSettings') ? getString(z, 'dnsPolicy') : '',
    dnsConfig: has(release, 'ztunnelDnsSettings') ? getObject(z, 'dnsConfig') : {},
  };
}

/** `global.imagePullSecrets` as `{ name }` entries. */
function pullSecretNames(values: JsonObject): { name: string }[] {
  const s = getPath(values, 'global.imagePullSecrets');
  return Array.isArray(s) ? s.map((name) => ({ name: String(name) })) : [];
}
