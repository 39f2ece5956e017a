/**
 * What changed in the objects Istio renders from one release line to the
 * next, each change with the first minor that has it (and, for the rare
 * change a later line undid, the first minor without it). Renderers and
 * translate/ ask `has(release, change)`: the difference between versions
 * is data here, not version comparisons scattered through the code.
 *
 * Facts read from Istio's charts and istioctl at each release tag and
 * checked field by field against that release's istioctl (conformance).
 */
import { RELEASES, type IstioMinor, type IstioRelease } from './catalog.js';

/** From a line on, or in a range of lines, or in any of several ranges (a change undone and redone). */
type Range = IstioMinor | { from: IstioMinor; until: IstioMinor };
type Since = Range | readonly Range[];

/** Every change, named for what it does. */
export const CHANGES = {
  // --- 1.28
  /** istiod's and the gateways' PodDisruptionBudget only when more than one replica can run. */
  pdbOnlyWithReplicas: '1.28',
  /**
   * istioctl copies components.*.k8s.hpaSpec min/max and replicaCount of
   * Deployments into the chart values (1.28; dropped in 1.29 and 1.30, back in 1.31).
   */
  k8sReplicasIntoValues: [{ from: '1.28', until: '1.29' }, '1.31'],
  /** The Gateway API inference extension's group is inference.networking.k8s.io (was …x-k8s.io). */
  inferenceGroupGA: '1.28',
  /** A remote istiod's address is an EndpointSlice (was an Endpoints object). */
  remoteEndpointSlice: '1.28',
  /** Each revision tag also gets a Service istiod-revision-tag-<tag>. */
  revisionTagService: '1.28',
  /** values.global.networkPolicy.enabled renders NetworkPolicies for istiod and the gateways. */
  networkPolicyIstiodGateways: '1.28',
  /** The CNI ConfigMap carries ENABLE_AMBIENT_DETECTION_RETRY; the DaemonSet takes daemonSetLabels/podLabels. */
  cniAmbientDetectionRetry: '1.28',
  /** Sidecar and init containers take values.global.proxy.seccompProfile. */
  proxySeccompProfile: '1.28',
  /** Gateway API and waypoint objects carry gateway.networking.k8s.io/gateway-class-name. */
  gatewayClassNameLabel: '1.28',
  /** Waypoints run with the default termination grace period and may request a network view. */
  waypointGraceDefault: '1.28',
  /** The compatibility profile for 1.24 is gone; 1.27's is there. */
  compatibilityFrom125: '1.28',

  // --- 1.29
  /** istiod no longer sets GOMEMLIMIT; pilot.crlConfigMapName sets PILOT_CRL_CONFIGMAP. */
  istiodNoGoMemLimit: '1.29',
  /** The reader ClusterRole may read ConfigMaps. */
  readerReadsConfigMaps: '1.29',
  /** CPU-limit env vars (gateways, ztunnel, injected proxies) carry `divisor: "1"`. */
  cpuLimitDivisor: '1.29',
  /** The injector has an agentgateway template. */
  agentgatewayTemplate: '1.29',
  /** Generated Gateway objects are owned through gateway.networking.k8s.io/v1. */
  gatewayOwnerV1: '1.29',
  /** The CNI and ztunnel charts render NetworkPolicies too. */
  networkPolicyNodeAgents: '1.29',
  /** The CNI node agent's grace period is a value (default 30 s, was a fixed 5 s). */
  cniGracePeriodValue: '1.29',
  /** ztunnel may check peer certificates against a CRL (values.ztunnel.peerCaCrl). */
  ztunnelPeerCaCrl: '1.29',

  // --- 1.30
  /** NetworkPolicy ingress rules carry no `from: []`. */
  networkPolicyNoEmptyFrom: '1.30',
  /** ListenerSet status is in gateway.networking.k8s.io (was the x-k8s group). */
  listenerSetGA: '1.30',
  /** values.global.enableReaderRBAC (default true) switches the reader RBAC and ServiceAccount. */
  readerRbacSwitch: '1.30',
  /** pilot.taint.enabled also turns on istiod's node untaint controller (env). */
  istiodUntaintEnv: '1.30',
  /** A remote istiod's address may be IPv6 (EndpointSlice addressType IPv6). */
  remoteIstiodIpv6: '1.30',
  /** values.cni.useAppArmorAnnotation chooses the AppArmor annotation or securityContext field. */
  cniAppArmorChoice: '1.30',
  /** values.ztunnel.dnsPolicy / dnsConfig reach the DaemonSet. */
  ztunnelDnsSettings: '1.30',
  /** The stable validation policy also refuses AuthorizationPolicies with trustDomains. */
  stablePolicyTrustDomains: '1.30',
  /** Istio ships a TrafficExtension CRD. */
  trafficExtensionCrd: '1.30',

  // --- 1.31
  /** istioctl copies components.*.k8s.resources CPU requests and limits into the chart values. */
  k8sCpuIntoValues: '1.31',
  /** ztunnel gets ZTUNNEL_RESOURCE_CPU_LIMIT / _REQUEST when its values set those CPUs. */
  ztunnelResourceCpuEnv: '1.31',
  /** istiod's container takes values.pilot.terminationMessagePolicy. */
  istiodTerminationMessagePolicy: '1.31',
  /** pilot.env.COMPLIANCE_POLICY fips-140-3 also sets GODEBUG=fips140=only on istiod. */
  istiodFipsGodebug: '1.31',
  /** values.global.readerServiceAccount binds the reader ClusterRole to the user's ServiceAccount instead of creating one. */
  readerServiceAccountValue: '1.31',

  // --- injection templates (src/render/injection)
  /** The proxy templates drop nil entries from the proxy (and waypoint) resources (`omitNil`). */
  proxyResourcesOmitNil: '1.28',
  /** The sidecar's CRL volume names its ConfigMap from values.pilot.crlConfigMapName (default istio-ca-crl). */
  sidecarCrlConfigMapValue: '1.29',
  /** The sidecar gets OTEL_RESOURCE_ATTRIBUTES when a tracing provider enriches with OTel semantic conventions. */
  sidecarOtelResourceAttributes: '1.30',
  /** agentgateway gets CA_ADDRESS and the mesh token and root cert at the proxy paths (xds-token volume renamed). */
  agentgatewayCaClient: '1.30',
  /**
   * The gateway template lists COMPLIANCE_POLICY before
   * ISTIO_META_APP_CONTAINERS, as Istio's does. Not a change of Istio's: our
   * text had the two the other way round (only a compliance policy shows
   * it), corrected for the lines verified here with one (1.30, 1.31); 1.27–1.29
   * keep the text their verification records hold.
   */
  gatewayComplianceEnvOrder: '1.30',
  /** The injector has an agentgateway-waypoint template (class istio-agentgateway-waypoint: an ambient waypoint run by agentgateway). */
  agentgatewayWaypointTemplate: '1.31',
  /** The sidecar's init container runs istiod's `.ProxyInitImage` (values.global.proxy_init.image, without the proxy config's image type) instead of `.ProxyImage`. */
  proxyInitImage: '1.31',
  /** The sidecar's canonical-name label is trimmed of "-", "_" and "." at both ends (was a trailing "-"). */
  canonicalNameTrimAll: '1.31',
  /** With compliance policy fips-140-3 the sidecar and gateway templates' proxy also gets GODEBUG=fips140=only. */
  proxyFipsGodebug: '1.31',
  /** kube-gateway and waypoint write the workload-socket volume as a bare `emptyDir:` (null; the API server makes it an empty dir). */
  gatewaySocketBareEmptyDir: '1.31',
  /** kube-gateway's Service ports take each port's protocol from the controller (UDP for QUIC) instead of a fixed TCP. */
  kubeGatewayPortProtocol: '1.31',
} as const satisfies Record<string, Since>;

/** A change's name. */
export type Change = keyof typeof CHANGES;

const index = (minor: IstioMinor) => RELEASES.findIndex((r) => r.minor === minor);

/** Whether a release line has a change. */
export function has(release: IstioRelease, change: Change): boolean {
  const i = index(release.minor);
  const inRange = (r: Range) =>
    typeof r === 'string' ? i >= index(r) : i >= index(r.from) && i < index(r.until);
  const since: Since = CHANGES[change];
  return Array.isArray(since) ? since.some(inRange) : inRange(since as Range);
}
