import type { Difference } from './compare.js';

/**
 * One intended difference between istioctl 1.27's `manifest generate` and
 * ours. Every entry says why; the suite fails if an entry explains nothing
 * across the corpus (so the list cannot silently outlive its reason).
 */
export interface Allowance {
  id: string;
  /** Which comparison the entry belongs to: `manifest generate` objects or injected pods. */
  suite: 'manifest' | 'injection';
  reason: string;
  kind?: RegExp;
  name?: RegExp;
  /** Matched against the projected path (`labels.x`, `containers[name=c].env[name=E].value`, …). */
  path: RegExp;
  /** `oracle-only`: the oracle has it and we do not; `ours-only`: the reverse; default either. */
  side?: 'oracle-only' | 'ours-only';
  /** Extra check on the values. */
  accepts?: (d: Difference) => boolean;
}

const HELM_LABEL =
  /^(labels|templateLabels)\.(app\.kubernetes\.io\/(name|instance|managed-by|part-of|version)|helm\.sh\/chart|chart|heritage)$|^templateLabels\.release$/;
const OWNERSHIP =
  /^labels\.(operator\.istio\.io\/(managed|version|component)|install\.operator\.istio\.io\/owning-resource(-namespace)?|istio\.io\/rev)$/;

/** The intended differences, each with its reason (also listed in docs/rendering.md). */
export const ALLOW_LIST: readonly Allowance[] = [
  {
    id: 'helm-bookkeeping-labels',
    suite: 'manifest',
    reason:
      'istioctl renders through Helm charts, which stamp app.kubernetes.io/*, helm.sh/chart, chart and heritage labels; ' +
      'we are not Helm and do not claim to be (no selector uses these labels).',
    path: HELM_LABEL,
    side: 'oracle-only',
  },
  {
    id: 'ownership-labels-at-render',
    suite: 'manifest',
    reason:
      '`istioctl manifest generate` leaves the installer ownership labels (§4.1) to `istioctl install`; we stamp ' +
      'all six on every object at render time so the manifest is directly applyable and prunable, with the same keys and values istioctl install writes.',
    path: OWNERSHIP,
    side: 'ours-only',
  },
  {
    id: 'owner-label-on-pod-templates',
    suite: 'manifest',
    reason:
      'the charts copy install.operator.istio.io/owning-resource into pod templates; ownership labels belong on the objects we apply, not on pods (§4.1), so we leave pod templates alone.',
    path: /^templateLabels\.install\.operator\.istio\.io\/owning-resource$/,
    side: 'oracle-only',
  },
  {
    id: 'owner-name-at-render',
    suite: 'manifest',
    reason:
      '`istioctl manifest generate` writes owning-resource "unknown" even for a named IstioOperator (install fills it in); ' +
      'we write the IstioOperator name, which is what istioctl install and prune use.',
    path: /^labels\.install\.operator\.istio\.io\/owning-resource$/,
    accepts: (d) => d.oracle === 'unknown' && typeof d.ours === 'string' && d.ours !== 'unknown',
  },
  {
    id: 'no-gateway-api-deployment-templates',
    suite: 'manifest',
    reason:
      'the injector ConfigMap of istioctl also carries `kube-gateway` and `waypoint`, the templates istiod uses to deploy ' +
      "Gateway API gateways and waypoints; they are not sidecar injection and are out of this renderer's scope (see docs/rendering.md).",
    kind: /^ConfigMap$/,
    path: /^injectorTemplates$/,
    accepts: (d) =>
      JSON.stringify(d.oracle) ===
        JSON.stringify([
          'gateway',
          'grpc-agent',
          'grpc-simple',
          'kube-gateway',
          'sidecar',
          'waypoint',
        ]) &&
      JSON.stringify(d.ours) ===
        JSON.stringify(['gateway', 'grpc-agent', 'grpc-simple', 'sidecar']),
  },
  {
    id: 'chart-cni-block-in-injector-values',
    suite: 'manifest',
    reason:
      "Istio's shared chart profiles also land their `cni` block (resources, ambient, multus paths) in the istiod chart, so " +
      "istioctl's injector values show them under pilot.cni; the templates read only pilot.cni.enabled and provider, which match.",
    kind: /^ConfigMap$/,
    path: /^injectorValues\.pilot\.cni\.(?!enabled$|provider$)/,
    side: 'oracle-only',
  },
  {
    id: 'gateway-component-hub',
    suite: 'manifest',
    reason:
      "istioctl 1.27 takes a gateway's `tag` from its component entry but ignores its `hub` (the gateway chart reads only " +
      'global.hub); we honour both, so `components.ingressGateways[].hub` does what it says.',
    kind: /^Deployment$/,
    path: /^containers\[name=istio-proxy\]\.image$/,
    accepts: (d) =>
      typeof d.oracle === 'string' &&
      typeof d.ours === 'string' &&
      d.oracle.split('/').at(-1) === d.ours.split('/').at(-1),
  },
  {
    id: 'values-configmap-content',
    suite: 'manifest',
    reason:
      'ConfigMap `values` is a debug dump of the Helm values (keys original-values, merged-values); istiod never reads it. ' +
      'We write our own merged values under merged-values; its content is not a contract.',
    kind: /^ConfigMap$/,
    name: /^values(-.+)?$/,
    path: /^dataKeys/,
  },
  {
    id: 'grpc-simple-bootstrap-script',
    suite: 'injection',
    reason:
      "grpc-simple writes its xDS bootstrap with a shell command; ours is our own one-line printf (not a copy of Istio's echo script). " +
      'Both write the same document: server dns:///istiod[-rev].<ns>.svc:15010, insecure channel, xds_v3, node id ' +
      "sidecar~<ip>~<pod>.<ns>~<cluster domain>, GENERATOR grpc (ours also honours the revision, which Istio's script drops).",
    path: /^initContainers\[name=grpc-bootstrap-init\]\.command\[2\]$/,
    accepts: (d) =>
      typeof d.ours === 'string' &&
      [
        'dns:///%s.%s.svc:15010',
        '"insecure"',
        'xds_v3',
        'sidecar~%s~%s.%s~%s',
        '"GENERATOR":"grpc"',
        '/var/lib/grpc/data/bootstrap.json',
      ].every((part) => (d.ours as string).includes(part)),
  },
  {
    id: 'grpc-simple-namespace-newline',
    suite: 'injection',
    reason:
      "Istio's grpc-simple template leaves a trailing newline in ISTIO_NAMESPACE (a block scalar); ours is the bare namespace.",
    path: /^initContainers\[name=grpc-bootstrap-init\]\.env\[name=ISTIO_NAMESPACE\]\.value$/,
    accepts: (d) => typeof d.oracle === 'string' && d.oracle.trimEnd() === d.ours,
  },
  {
    id: 'hold-moved-to-mesh-config',
    suite: 'injection',
    reason:
      'the API layer (src/profiles) moves the deprecated values.global.proxy.holdApplicationUntilProxyStarts to ' +
      'meshConfig.defaultConfig (the 1.23 translation), so our PROXY_CONFIG carries it; istioctl 1.27 keeps it in values. ' +
      'Both hold the application until the proxy is ready (same postStart hook).',
    path: /^containers\[name=istio-proxy\]\.env\[name=PROXY_CONFIG\]\.value\.holdApplicationUntilProxyStarts$/,
    side: 'ours-only',
    accepts: (d) => d.ours === true,
  },
  {
    id: 'gateway-pod-template-chart-labels',
    suite: 'injection',
    reason:
      "the injected gateway pod keeps the labels of its Deployment's pod template; istioctl's template carries the Helm " +
      'bookkeeping labels and owning-resource (see helm-bookkeeping-labels and owner-label-on-pod-templates), ours does not.',
    name: /^istio-ingressgateway$/,
    path: /^labels\.(app\.kubernetes\.io\/(name|instance|managed-by|part-of|version)|helm\.sh\/chart|chart|heritage|release|install\.operator\.istio\.io\/owning-resource)$/,
    side: 'oracle-only',
  },
];
