import type { JsonObject } from '../json/value.js';
import type { IstioMinor, IstioRelease } from '../releases/catalog.js';

/**
 * What `compatibilityVersion: X` pins, per Istio line: the behaviour of
 * release X kept on a newer control plane (istiod feature flags as
 * `pilot.env`, and the CNI's ambient settings). Facts of each line's
 * compatibility profiles; the values merge over the chart profile's and
 * under the user's, as in the charts.
 */
interface Pins {
  /** istiod env (`pilot.env`), all "false" in Istio's files. */
  env: readonly string[];
  /** `cni.ambient` settings, which istiod's injector values show too (`pilot.cni.ambient`). */
  cniAmbient?: JsonObject;
  /** Top-level `ambient` settings of the CNI chart (the node agent only). */
  ambient?: JsonObject;
}

const NATIVE = 'ENABLE_NATIVE_SIDECARS';
const SHADOW = 'DISABLE_SHADOW_HOST_SUFFIX';
const SPAN = 'PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY';
const CB = 'DISABLE_TRACK_REMAINING_CB_METRICS';
const PICK = 'PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE';
const STRICT = 'PILOT_ENABLE_STRICT_GATEWAY_MERGING';
const UNHEALTHY = 'PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS';
const noReconcile = { reconcileIptablesOnStartup: false };

const PINS: Readonly<Record<IstioMinor, Readonly<Record<string, Pins>>>> = {
  '1.27': {
    '1.24': {
      env: ['PILOT_ENABLE_IP_AUTOALLOCATE', NATIVE],
      ambient: {
        dnsCapture: false,
        reconcileIptablesOnStartup: false,
        shareHostNetworkNamespace: true,
      },
    },
    '1.25': { env: [NATIVE], ambient: { shareHostNetworkNamespace: true } },
    '1.26': { env: [NATIVE] },
  },
  '1.28': {
    '1.25': { env: [NATIVE, SHADOW, SPAN], ambient: { shareHostNetworkNamespace: true } },
    '1.26': { env: [NATIVE, SHADOW, SPAN] },
    '1.27': { env: [SHADOW, SPAN] },
  },
  '1.29': {
    '1.25': {
      env: [NATIVE, SHADOW, SPAN, CB],
      cniAmbient: noReconcile,
      ambient: { shareHostNetworkNamespace: true },
    },
    '1.26': { env: [NATIVE, SHADOW, SPAN, CB], cniAmbient: noReconcile },
    '1.27': { env: [SHADOW, SPAN, CB], cniAmbient: noReconcile },
    '1.28': { env: [CB], cniAmbient: noReconcile },
  },
  '1.30': {
    '1.25': {
      env: [NATIVE, SHADOW, SPAN, CB, PICK],
      cniAmbient: noReconcile,
      ambient: { shareHostNetworkNamespace: true },
    },
    '1.26': { env: [NATIVE, SHADOW, SPAN, CB, PICK], cniAmbient: noReconcile },
    '1.27': { env: [SHADOW, SPAN, CB, PICK], cniAmbient: noReconcile },
    '1.28': { env: [CB, PICK], cniAmbient: noReconcile },
    '1.29': { env: [PICK] },
  },
  '1.31': {
    '1.25': {
      env: [NATIVE, SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY],
      cniAmbient: noReconcile,
      ambient: { shareHostNetworkNamespace: true },
    },
    '1.26': { env: [NATIVE, SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY], cniAmbient: noReconcile },
    '1.27': { env: [SHADOW, SPAN, CB, PICK, STRICT, UNHEALTHY], cniAmbient: noReconcile },
    '1.28': { env: [CB, PICK, STRICT, UNHEALTHY], cniAmbient: noReconcile },
    '1.29': { env: [PICK, STRICT, UNHEALTHY] },
    // 1.31's profile for 1.30 also pins the gateway span flag the older profiles pin from 1.28 on.
    '1.30': { env: [STRICT, SPAN, UNHEALTHY] },
  },
};

/** The pins of `version` on `release` as a values layer, and the part istiod's `cni` block sees. */
export function compatibilityValues(
  release: IstioRelease,
  version: string,
): { values: JsonObject; injectorCni: JsonObject } {
  const p = version ? PINS[release.minor][version] : undefined;
  if (!p) return { values: {}, injectorCni: {} };
  const env: JsonObject = {};
  for (const name of p.env) env[name] = 'false';
  const cniAmbient = p.cniAmbient ?? {};
  return {
    values: {
      pilot: { env },
      ...(p.ambient || p.cniAmbient ? { cni: { ambient: { ...p.ambient, ...cniAmbient } } } : {}),
    },
    injectorCni: Object.keys(cniAmbient).length ? { ambient: cniAmbient } : {},
  };
}
