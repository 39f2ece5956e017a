import { getBool, getObject, getString } from '../../json/values.js';
import type { JsonObject } from '../../json/value.js';

/**
 * The mesh-wide proxy settings every proxy the operator renders itself
 * shares (gateways today; the pattern for istiod's and the injector's
 * reads), resolved from the values once.
 */
export interface ProxySettings {
  /** `meshConfig.trustDomain`, else `global.trustDomain`, else cluster.local. */
  trustDomain: string;
  /** `global.meshID`, else the trust domain. */
  meshId: string;
  /** Where proxies get certificates: `global.caAddress`, else the revision's istiod on 15012. */
  caAddress: string;
  pilotCertProvider: string;
  clusterName: string;
  /** `global.network` ('' when none). */
  network: string;
  clusterDomain: string;
  /** Envoy's log level and per-component levels. */
  logLevel: string;
  componentLogLevel: string;
  /** The agent's `--log_output_level` and JSON switch. */
  agentLogLevel: string;
  logAsJson: boolean;
  /** `meshConfig.defaultConfig.proxyMetadata`, sorted by name. */
  proxyMetadata: { name: string; value: string }[];
  /** ConfigMap holding the mesh's root certificate. */
  trustBundleName: string;
  /** Audience of the projected ServiceAccount token proxies present to the CA. */
  tokenAudience: string;
}

/** Resolves the proxy settings; `istiodCa` is the revision's istiod address (port 15012). */
export function proxySettings(values: JsonObject, istiodCa: string): ProxySettings {
  const trustDomain =
    getString(values, 'meshConfig.trustDomain') ||
    getString(values, 'global.trustDomain') ||
    'cluster.local';
  const metadata = getObject(values, 'meshConfig.defaultConfig.proxyMetadata');
  return {
    trustDomain,
    meshId: getString(values, 'global.meshID') || trustDomain,
    caAddress: getString(values, 'global.caAddress') || istiodCa,
    pilotCertProvider: getString(values, 'global.pilotCertProvider'),
    clusterName: getString(values, 'global.multiCluster.clusterName') || 'Kubernetes',
    network: getString(values, 'global.network'),
    clusterDomain: getString(values, 'global.proxy.clusterDomain') || 'cluster.local',
    logLevel: getString(values, 'global.proxy.logLevel') || 'warning',
    componentLogLevel: getString(values, 'global.proxy.componentLogLevel') || 'misc:error',
    agentLogLevel: getString(values, 'global.logging.level') || 'default:info',
    logAsJson: getBool(values, 'global.logAsJson'),
    proxyMetadata: Object.keys(metadata)
      .sort()
      .map((k) => ({ name: k, value: String(metadata[k]) })),
    trustBundleName: getString(values, 'global.trustBundleName') || 'istio-ca-root-cert',
    tokenAudience: getString(values, 'global.sds.token.aud') || 'istio-ca',
  };
}
