import { getBool, getObject, getPath, getString } from '../../json/values.js';
import { isJsonObject, type Json, type JsonObject } from '../../json/value.js';
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';
import { scalingSettings, type ScalingSettings } from './scaling.js';
import {
  injectorSettings,
  meshSettings,
  type InjectorSettings,
  type MeshSettings,
} from './mesh.js';

/**
 * Everything the istiod renderers (render/pilot.ts, render/pilot-workload.ts)
 * need beyond the component's image and namespace, resolved from the values
 * once: they read these fields and look nothing up themselves.
 */
export interface PilotSettings {
  /** The remote profile (`pilot.istiodRemote.enabled` or `istiodRemote.enabled`): no istiod here. */
  remote: boolean;
  /** The container's `terminationMessagePolicy` (1.31+, `pilot.terminationMessagePolicy`; '' for unset). */
  terminationMessagePolicy: string;
  /**
   * A remote cluster that is also the config cluster (`global.configCluster`):
   * istiod's identity and permissions and the validator are rendered here too,
   * for the external istiod to use.
   */
  configCluster: boolean;
  /**
   * A remote cluster with an istiod of its own for sidecar injection
   * (`istiodRemote.enabledLocalInjectorIstiod`): istiod is rendered as in a
   * primary, and the external istiod's Service is `istiod[-<rev>]-remote`.
   */
  localInjector: boolean;
  /** The external istiod a remote cluster's Service points at (`global.remotePilotAddress`; '' for none). */
  remotePilotAddress: string;
  /** The mesh ConfigMap is rendered (unless `pilot.configMap: false`). */
  meshConfigMap: boolean;
  /** The injector ConfigMap is rendered (unless `global.omitSidecarInjectorConfigMap`). */
  injectorConfigMap: boolean;
  /** The validating webhook (`global.configValidation`; for a remote cluster only if it is the config cluster). */
  validationWebhook: boolean;
  /** The stable-API ValidatingAdmissionPolicy (`experimental.stableValidationPolicy`; never for a remote istiod). */
  stableValidationPolicy: boolean;
  /** The Deployment's extra labels, pod labels and pod annotations (the user's). */
  deploymentLabels: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  /** `--log_output_level` (`global.logging.level`, else `default:info`). */
  logLevel: string;
  /** `--log_as_json` (`global.logAsJson`). */
  logAsJson: boolean;
  /** `--domain` (`global.proxy.clusterDomain`, else `cluster.local`). */
  clusterDomain: string;
  /** `--keepaliveMaxServerConnectionAge` (else `30m`). */
  keepaliveMaxServerConnectionAge: string;
  resources: JsonObject;
  /** The user's tolerations, after istiod's own CNI one. */
  tolerations: Json[];
  /** Audience of the projected token (`global.sds.token.aud`, else `istio-ca`). */
  tokenAudience: string;
  /** {} and '' when unset. */
  nodeSelector: JsonObject;
  affinity: JsonObject;
  /** `pilot.priorityClassName`, else `global.priorityClassName`. */
  priorityClassName: string;
  maxSurge: Json;
  maxUnavailable: Json;
  /** The Deployment's `replicas`; undefined while the HPA owns it (`pilot.autoscaleEnabled`). */
  replicas?: Json;
  /** The Service's annotations (`pilot.serviceAnnotations`). */
  serviceAnnotations: Record<string, string>;
  /** istiod's HPA and PodDisruptionBudget. */
  scaling: ScalingSettings;
  env: PilotEnvSettings;
  /** What the mesh ConfigMap publishes. */
  mesh: MeshSettings;
  /** What the injector ConfigMap publishes. */
  injector: InjectorSettings;
}

/** The values istiod's env list is made of. */
export interface PilotEnvSettings {
  /** `PILOT_CERT_PROVIDER` (`global.pilotCertProvider`). */
  certProvider: string;
  /** `CA_TRUSTED_NODE_ACCOUNTS`: `<ztunnel namespace>/<ztunnel name>`. */
  trustedNodeAccounts: string;
  /** `pilot.env`, sorted by name: a literal value, or an object (`valueFrom`) spread under the name. */
  user: JsonObject[];
  /** `pilot.envVarFrom`: whole env entries (`name` and `valueFrom`), as written, after the user's env. */
  varFrom: JsonObject[];
  /** `PILOT_TRACE_SAMPLING` from `pilot.traceSampling` (default 1); undefined when `pilot.env` sets it. */
  traceSampling?: string;
  /** The taint the node-untaint controller removes (1.30+, `pilot.taint.enabled`); undefined: off. */
  untaintName?: string;
  /** `PILOT_CRL_CONFIGMAP` (1.29+, `pilot.crlConfigMapName`); undefined: none. */
  crlConfigMap?: string;
  /** `PILOT_ENABLE_ANALYSIS` (`global.istiod.enableAnalysis`). */
  enableAnalysis: boolean;
  /** `CLUSTER_ID` (`global.multiCluster.clusterName`, else `Kubernetes`). */
  clusterId: string;
  /** `PLATFORM` (`global.platform`). */
  platform: string;
  /** `GOMEMLIMIT` from the memory limit (until 1.29 removed it). */
  goMemLimit: boolean;
  /** `GODEBUG=fips140=only` after the user's env (1.31+, `pilot.env.COMPLIANCE_POLICY: fips-140-3`). */
  fipsOnly: boolean;
}

/**
 * Resolves istiod's settings. `istioNamespace` is the trusted ztunnel's
 * default namespace, `namespace` the one istiod runs in, `injectorCni` the
 * plan's (see RenderPlan.injectorCni).
 */
export function pilotSettings(
  values: JsonObject,
  release: IstioRelease,
  istioNamespace: string,
  place: { namespace: string; revision: string; injectorCni: JsonObject },
): PilotSettings {
  const p = getObject(values, 'pilot');
  const remote = getBool(p, 'istiodRemote.enabled') || getBool(values, 'istiodRemote.enabled');
  const tolerations = getPath(p, 'tolerations');
  const configCluster = remote && getBool(values, 'global.configCluster');
  const localInjector =
    remote &&
    (getBool(values, 'istiodRemote.enabledLocalInjectorIstiod') ||
      getBool(p, 'istiodRemote.enabledLocalInjectorIstiod'));
  return {
    remote,
    configCluster,
    localInjector,
    remotePilotAddress: getString(values, 'global.remotePilotAddress'),
    terminationMessagePolicy: has(release, 'istiodTerminationMessagePolicy')
      ? getString(p, 'terminationMessagePolicy')
      : '',
    meshConfigMap: getPath(p, 'configMap') !== false,
    injectorConfigMap: !getBool(values, 'global.omitSidecarInjectorConfigMap'),
    validationWebhook:
      getBool(values, 'global.configValidation') && (!remote || configCluster || localInjector),
    stableValidationPolicy: getBool(values, 'experimental.stableValidationPolicy') && !remote,
    deploymentLabels: getObject(p, 'deploymentLabels') as Record<string, string>,
    podLabels: getObject(p, 'podLabels') as Record<string, string>,
    podAnnotations: getObject(p, 'podAnnotations') as Record<string, string>,
    logLevel: getString(values, 'global.logging.level') || 'default:info',
    logAsJson: getBool(values, 'global.logAsJson'),
    clusterDomain: getString(values, 'global.proxy.clusterDomain') || 'cluster.local',
    keepaliveMaxServerConnectionAge: getString(p, 'keepaliveMaxServerConnectionAge') || '30m',
    resources: getObject(p, 'resources'),
    tolerations: Array.isArray(tolerations) ? tolerations : [],
    tokenAudience: getString(values, 'global.sds.token.aud') || 'istio-ca',
    nodeSelector: getObject(p, 'nodeSelector'),
    affinity: getObject(p, 'affinity'),
    priorityClassName:
      getString(p, 'priorityClassName') || getString(values, 'global.priorityClassName'),
    maxSurge: getPath(p, 'rollingMaxSurge') ?? '100%',
    maxUnavailable: getPath(p, 'rollingMaxUnavailable') ?? '25%',
    ...(getBool(p, 'autoscaleEnabled') ? {} : { replicas: getPath(p, 'replicaCount') ?? 1 }),
    serviceAnnotations: getObject(p, 'serviceAnnotations') as Record<string, string>,
    scaling: scalingSettings(p, values, release),
    env: pilotEnv(values, p, release, istioNamespace),
    mesh: meshSettings(values, place.revision, place.namespace),
    injector: injectorSettings(values, place.revision, place.injectorCni),
  };
}

function pilotEnv(
  values: JsonObject,
  p: JsonObject,
  release: IstioRelease,
  istioNamespace: string,
): PilotEnvSettings {
  const userEnv = getObject(p, 'env');
  const noGoMemLimit = has(release, 'istiodNoGoMemLimit');
  const crl = getString(p, 'crlConfigMapName');
  return {
    certProvider: getString(values, 'global.pilotCertProvider'),
    trustedNodeAccounts: `${getString(p, 'trustedZtunnelNamespace') || istioNamespace}/${
      getString(p, 'trustedZtunnelName') || 'ztunnel'
    }`,
    user: Object.keys(userEnv)
      .sort()
      .map((k): JsonObject => {
        const val = userEnv[k];
        return typeof val === 'object' && val !== null && !Array.isArray(val)
          ? { name: k, ...(val as JsonObject) }
          : { name: k, value: String(val) };
      }),
    varFrom: (Array.isArray(p.envVarFrom) ? p.envVarFrom : []).filter(isJsonObject),
    ...('PILOT_TRACE_SAMPLING' in userEnv
      ? {}
      : { traceSampling: String(getPath(p, 'traceSampling') ?? 1) }),
    ...(has(release, 'istiodUntaintEnv') && getBool(p, 'taint.enabled')
      ? { untaintName: getString(p, 'taint.name') }
      : {}),
    ...(noGoMemLimit && crl ? { crlConfigMap: crl } : {}),
    enableAnalysis: getBool(values, 'global.istiod.enableAnalysis'),
    clusterId: getString(values, 'global.multiCluster.clusterName') || 'Kubernetes',
    platform: getString(values, 'global.platform'),
    goMemLimit: !noGoMemLimit,
    fipsOnly: has(release, 'istiodFipsGodebug') && userEnv.COMPLIANCE_POLICY === 'fips-140-3',
  };
}
