import type { Difference } from './compare.js';

/**
 * One intended difference between istioctl (of a line compared) and ours.
 * Every entry says why; the suite fails if an entry explains nothing across
 * the corpus and the lines that ran (so the list cannot silently outlive
 * its reason).
 */
/** The comparisons: `manifest generate` objects, injected workloads, and the Gateway deployment templates' objects. */
export type Suite = 'manifest' | 'injection' | 'gateway-templates';

export interface Allowance {
  id: string;
  /**
   * Which comparisons the entry belongs to: `manifest generate` objects,
   * injected workloads (kube-inject, whose gateway test injects each side's
   * own gateway Deployment), or the objects istiod's Gateway deployment
   * controller renders from the kube-gateway/waypoint templates.
   */
  suites: readonly Suite[];
  reason: string;
  kind?: RegExp;
  name?: RegExp;
  /** Matched against the whole-object path (`metadata.labels.x`, `spec.template.spec.containers[name=c].env[name=E].value`, …). */
  path: RegExp;
  /** `oracle-only`: the oracle has it and we do not; `ours-only`: the reverse; default either. */
  side?: 'oracle-only' | 'ours-only';
  /** Extra check on the values. */
  accepts?: (d: Difference) => boolean;
}

const HELM_LABELS =
  '(app\\.kubernetes\\.io\\/(name|instance|managed-by|part-of|version)|helm\\.sh\\/chart|chart|heritage|release)';
const OWNERSHIP =
  '(operator\\.istio\\.io\\/(managed|version|component)|install\\.operator\\.istio\\.io\\/owning-resource(-namespace)?|istio\\.io\\/rev)';

/** The intended differences, each with its reason (also listed in docs/rendering.md). */
export const ALLOW_LIST: readonly Allowance[] = [
  {
    id: 'helm-bookkeeping-labels',
    suites: ['manifest', 'injection'],
    reason:
      'istioctl renders through Helm charts, which stamp app.kubernetes.io/*, helm.sh/chart, chart, heritage and ' +
      'release labels; we are not Helm and do not claim to be (no selector uses these labels).',
    path: new RegExp(`^(metadata|spec\\.template\\.metadata)\\.labels\\.${HELM_LABELS}$`),
    side: 'oracle-only',
  },
  {
    id: 'ownership-labels-at-render',
    suites: ['manifest', 'injection'],
    reason:
      '`istioctl manifest generate` leaves the installer ownership labels (§4.1) to `istioctl install`; we stamp ' +
      'them on every object at render time so the manifest is directly applyable and prunable, with the same keys and values istioctl install writes ' +
      '(its getOwnerLabels: managed, version, owning-resource[-namespace], component, and istio.io/rev = the revision or "default").',
    // One label, or the whole map where istioctl renders no labels at all.
    path: new RegExp(`^metadata\\.labels(\\.${OWNERSHIP})?$`),
    side: 'ours-only',
    accepts: (d) =>
      d.path !== 'metadata.labels' ||
      (typeof d.ours === 'object' &&
        d.ours !== null &&
        Object.keys(d.ours).every((k) => new RegExp(`^${OWNERSHIP}$`).test(k))),
  },
  {
    id: 'owner-label-on-pod-templates',
    suites: ['manifest', 'injection'],
    reason:
      'the charts copy install.operator.istio.io/owning-resource into pod templates; ownership labels belong on the objects we apply, not on pods (§4.1), so we leave pod templates alone.',
    path: /^spec\.template\.metadata\.labels\.install\.operator\.istio\.io\/owning-resource$/,
    side: 'oracle-only',
  },
  {
    id: 'owner-name-at-render',
    suites: ['manifest'],
    reason:
      '`istioctl manifest generate` writes owning-resource "unknown" even for a named IstioOperator (install fills it in); ' +
      'we write the IstioOperator name, which is what istioctl install and prune use.',
    path: /^metadata\.labels\.install\.operator\.istio\.io\/owning-resource$/,
    accepts: (d) => d.oracle === 'unknown' && typeof d.ours === 'string' && d.ours !== 'unknown',
  },
  {
    id: 'endpointslice-manager',
    suites: ['manifest'],
    reason:
      "from 1.28 a remote istiod's address is an EndpointSlice; istioctl's chart labels it " +
      '`endpointslice.kubernetes.io/managed-by: Helm`, we write `istio-operator` (who manages it; any value ' +
      "but the EndpointSlice controller's keeps that controller away).",
    kind: /^EndpointSlice$/,
    path: /^metadata\.labels\.endpointslice\.kubernetes\.io\/managed-by$/,
    accepts: (d) => d.oracle === 'Helm' && d.ours === 'istio-operator',
  },
  {
    id: 'service-target-port-defaulted',
    suites: ['manifest'],
    reason:
      'a gateway Service port written without targetPort: istioctl writes targetPort 0, which the API server stores as ' +
      "the port itself (Service defaulting; apiserver.test.ts proves it); we write the port, so the stored Service is the same and the operator's drift check compares like with like.",
    kind: /^Service$/,
    path: /^spec\.ports\[[^\]]+\]\.targetPort$/,
    accepts: (d) => d.oracle === 0 && typeof d.ours === 'number' && d.ours > 0,
  },
  {
    id: 'injector-template-text',
    suites: ['manifest'],
    reason:
      "the injector templates are our own text, not a copy of Istio's; what they yield is the contract, and it is proven " +
      'separately: sidecar, gateway, grpc-simple and grpc-agent by injecting sample workloads with `istioctl kube-inject` ' +
      "(injection.test.ts), kube-gateway and waypoint by rendering Gateways with istiod's own deployment controller " +
      '(gateway-templates.test.ts). Only the text differs; both sides must have every template.',
    kind: /^ConfigMap$/,
    name: /^istio-sidecar-injector(-.+)?$/,
    path: /^data\.config\.templates\.[a-z-]+$/,
    accepts: (d) => typeof d.oracle === 'string' && typeof d.ours === 'string',
  },
  {
    id: 'values-configmap-content',
    suites: ['manifest'],
    reason:
      'ConfigMap `values` is a debug dump of the Helm values (keys original-values, merged-values); istiod never reads it. ' +
      'We write our own merged values under merged-values; its content is not a contract.',
    kind: /^ConfigMap$/,
    name: /^values(-.+)?$/,
    // Its data, and the chart's prose describing it (not ours to copy).
    path: /^(data\.|metadata\.annotations(\.kubernetes\.io\/description)?$)/,
  },
  {
    id: 'gateway-component-hub',
    suites: ['manifest'],
    reason:
      "istioctl 1.27 takes a gateway's `tag` from its component entry but ignores its `hub` (the gateway chart reads only " +
      'global.hub); we honour both, so `components.ingressGateways[].hub` does what it says.',
    kind: /^Deployment$/,
    path: /^spec\.template\.spec\.containers\[name=istio-proxy\]\.image$/,
    accepts: (d) =>
      typeof d.oracle === 'string' &&
      typeof d.ours === 'string' &&
      d.oracle.split('/').at(-1) === d.ours.split('/').at(-1),
  },
  {
    id: 'grpc-simple-bootstrap-script',
    suites: ['injection'],
    reason:
      "grpc-simple writes its xDS bootstrap with a shell command; ours is our own one-line printf (not a copy of Istio's echo script). " +
      'Both write the same document: server dns:///istiod[-rev].<ns>.svc:15010, insecure channel, xds_v3, node id ' +
      "sidecar~<ip>~<pod>.<ns>~<cluster domain>, GENERATOR grpc (ours also honours the revision, which Istio's script drops).",
    path: /(^|\.)initContainers\[name=grpc-bootstrap-init\]\.command\[2\]$/,
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
    suites: ['injection'],
    reason:
      "Istio's grpc-simple template leaves a trailing newline in ISTIO_NAMESPACE (a block scalar); ours is the bare namespace.",
    path: /(^|\.)initContainers\[name=grpc-bootstrap-init\]\.env\[name=ISTIO_NAMESPACE\]\.value$/,
    accepts: (d) => typeof d.oracle === 'string' && d.oracle.trimEnd() === d.ours,
  },
  {
    id: 'hold-moved-to-mesh-config',
    suites: ['injection'],
    reason:
      'the API layer (src/profiles) moves the deprecated values.global.proxy.holdApplicationUntilProxyStarts to ' +
      'meshConfig.defaultConfig (the 1.23 translation), so our PROXY_CONFIG carries it; istioctl 1.27 keeps it in values. ' +
      'Both hold the application until the proxy is ready (same postStart hook).',
    path: /(^|\.)containers\[name=istio-proxy\]\.env\[name=PROXY_CONFIG\]\.value\.holdApplicationUntilProxyStarts$/,
    side: 'ours-only',
    accepts: (d) => d.ours === true,
  },
];
