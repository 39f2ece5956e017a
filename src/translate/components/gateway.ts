import { getBool, getObject, getPath, getString } from '../../json/values.js';
import { isJsonObject, type Json, type JsonObject } from '../../json/value.js';
import type { IstioRelease } from '../../releases/catalog.js';
import { scalingSettings, type ScalingSettings } from './scaling.js';

/** A TLS secret mounted read-only into a gateway (`secretVolumes`; each optional). */
export interface SecretVolume {
  name: string;
  secretName: string;
  mountPath: string;
}

/**
 * Everything render/gateway.ts needs of one gateway beyond its image,
 * name and namespace, resolved once from the gateway's chart values
 * (`gw`) and the mesh's (`values`).
 */
export interface GatewaySettings {
  /** Its labels (chart defaults `app`/`istio` plus the entry's `label`), also its selector. */
  labels: Record<string, string>;
  /** Service ports (`ports`, replaced wholesale by `k8s.service.ports`). */
  ports: JsonObject[];
  secretVolumes: SecretVolume[];
  /** `runAsRoot`: no security context at all, and no ISTIO_META_UNPRIVILEGED_POD. */
  runAsRoot: boolean;
  /** The gateway's own env (`env`), sorted by name. */
  env: { name: string; value: string }[];
  /** Its own env names the network (ISTIO_META_NETWORK), so the mesh's is not added. */
  envSetsNetwork: boolean;
  /** OpenShift assigns the UID and GID (`platform`, else `global.platform`). */
  openshift: boolean;
  resources: JsonObject;
  podAnnotations: Record<string, string>;
  /** [] when none. */
  tolerations: Json[];
  /** `priorityClassName`, else `global.priorityClassName` ('' when neither). */
  priorityClassName: string;
  maxSurge: Json;
  maxUnavailable: Json;
  /** The injection template the proxy comes from at admission ('' for a rendered proxy). */
  injectionTemplate: string;
  serviceAnnotations: Record<string, string>;
  /** The Service's type (default ClusterIP). */
  serviceType: string;
  /** Its HPA and PodDisruptionBudget. */
  scaling: ScalingSettings;
}

/** Resolves a gateway's settings from its chart values `gw` and the mesh's `values`. */
export function gatewaySettings(
  gw: JsonObject,
  values: JsonObject,
  release: IstioRelease,
): GatewaySettings {
  const labels: Record<string, string> = {};
  for (const [k, val] of Object.entries(getObject(gw, 'labels'))) labels[k] = String(val);
  const ports = getPath(gw, 'ports');
  const volumes = getPath(gw, 'secretVolumes');
  const env = getObject(gw, 'env');
  const podAnnotations: Record<string, string> = {};
  for (const [k, val] of Object.entries(getObject(gw, 'podAnnotations')))
    podAnnotations[k] = String(val);
  const tolerations = getPath(gw, 'tolerations');
  const platform = getString(values, 'platform') || getString(values, 'global.platform');
  return {
    labels,
    ports: Array.isArray(ports) ? ports.filter(isJsonObject) : [],
    secretVolumes: (Array.isArray(volumes) ? volumes.filter(isJsonObject) : []).map((s) => ({
      name: String(s.name),
      secretName: String(s.secretName),
      mountPath: String(s.mountPath),
    })),
    runAsRoot: getBool(gw, 'runAsRoot'),
    env: Object.keys(env)
      .sort()
      .map((k) => ({ name: k, value: String(env[k]) })),
    envSetsNetwork: Boolean(env.ISTIO_META_NETWORK),
    openshift: platform === 'openshift',
    resources: getObject(gw, 'resources'),
    podAnnotations,
    tolerations: Array.isArray(tolerations) ? tolerations : [],
    priorityClassName:
      getString(gw, 'priorityClassName') || getString(values, 'global.priorityClassName'),
    maxSurge: getPath(gw, 'rollingMaxSurge') ?? '100%',
    maxUnavailable: getPath(gw, 'rollingMaxUnavailable') ?? '25%',
    injectionTemplate: getString(gw, 'injectionTemplate'),
    serviceAnnotations: getObject(gw, 'serviceAnnotations') as Record<string, string>,
    serviceType: getString(gw, 'type') || 'ClusterIP',
    scaling: scalingSettings(gw, values, release),
  };
}
