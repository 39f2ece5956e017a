/**
 * The istiod feature flags and CNI settings Istio's compatibility profiles
 * pin (`compatibilityVersion: X` keeps release X's behaviour on a newer
 * control plane), named once for the line modules in lines/ that list them.
 */
export const NATIVE = 'ENABLE_NATIVE_SIDECARS';
export const SHADOW = 'DISABLE_SHADOW_HOST_SUFFIX';
export const SPAN = 'PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY';
export const CB = 'DISABLE_TRACK_REMAINING_CB_METRICS';
export const PICK = 'PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE';
export const STRICT = 'PILOT_ENABLE_STRICT_GATEWAY_MERGING';
export const UNHEALTHY = 'PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS';
/** The CNI's iptables reconciliation on start-up, off as it was before 1.29. */
export const NO_RECONCILE = { reconcileIptablesOnStartup: false } as const;
