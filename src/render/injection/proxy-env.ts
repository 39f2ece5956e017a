/**
 * The env of the injected agent (`istio-proxy`), in pieces: the sidecar
 * and gateway templates write all of it (`proxyEnv`), the grpc-agent
 * template the pieces it needs in its own order. Each piece is a run of
 * list entries for a container at indent 4.
 */
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';
import { resourceRef } from './shared.js';

/** One env entry read from the pod through the downward API. */
export const fieldEnv = (name: string, fieldPath: string) => `    - name: ${name}
      valueFrom: {fieldRef: {fieldPath: ${fieldPath}}}
`;

/**
 * The certificate provider and the CA's address: `values.global.caAddress`,
 * else istiod's TLS xDS port at the `printf` format and arguments
 * `istiodFormat` (the host `<istiod>.<istio namespace>.svc`).
 */
export const caEnv = (istiodFormat: string) => `    - name: PILOT_CERT_PROVIDER
      value: {{ .Values.global.pilotCertProvider | quote }}
    - name: CA_ADDR
      {{- if .Values.global.caAddress }}
      value: {{ .Values.global.caAddress | quote }}
      {{- else }}
      value: {{ printf ${istiodFormat} .Values.global.istioNamespace | quote }}
      {{- end }}
`;

/** The pod's name, namespace, addresses and service account. */
export const POD_ENV =
  fieldEnv('POD_NAME', 'metadata.name') +
  fieldEnv('POD_NAMESPACE', 'metadata.namespace') +
  fieldEnv('INSTANCE_IP', 'status.podIP') +
  fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName') +
  fieldEnv('HOST_IP', 'status.hostIP');

/** The proxy configuration and the ports the pod's containers declare. */
export const PROXY_CONFIG_ENV = `    - name: PROXY_CONFIG
      value: {{ protoToJSON .ProxyConfig | quote }}
    - name: ISTIO_META_POD_PORTS
      value: {{ $ports := list }}{{ range .Spec.Containers }}{{ range .Ports }}{{ $ports = append $ports . }}{{ end }}{{ end }}{{ structToJSON $ports | quote }}
`;

/** The names of the pod's other containers. */
export const APP_CONTAINERS = `    - name: ISTIO_META_APP_CONTAINERS
      value: {{ $names := list }}{{ range .Spec.Containers }}{{ if ne .Name "istio-proxy" }}{{ $names = append $names .Name }}{{ end }}{{ end }}{{ join "," $names | quote }}
`;

/** The cluster id and the node. */
export const CLUSTER_ENV =
  `    - name: ISTIO_META_CLUSTER_ID
      value: {{ valueOrDefault .Values.global.multiCluster.clusterName "Kubernetes" | quote }}
` + fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName');

/** The network (when set), the workload's name and its owner. */
export const WORKLOAD_ENV = `    {{- if .Values.global.network }}
    - name: ISTIO_META_NETWORK
      value: {{ .Values.global.network | quote }}
    {{- end }}
    - name: ISTIO_META_WORKLOAD_NAME
      value: {{ index .ObjectMeta.Labels "service.istio.io/workload-name" | default .DeploymentMeta.Name | quote }}
    - name: ISTIO_META_OWNER
      value: {{ printf "kubernetes://apis/%s/namespaces/%s/%ss/%s" .TypeMeta.APIVersion (valueOrDefault .DeploymentMeta.Namespace "default") (toLower .TypeMeta.Kind) .DeploymentMeta.Name | quote }}
`;

/** The mesh id and the trust domain. */
export const MESH_ENV = `    - name: ISTIO_META_MESH_ID
      value: {{ .Values.global.meshID | default .MeshConfig.TrustDomain | default "cluster.local" | quote }}
    - name: TRUST_DOMAIN
      value: {{ .MeshConfig.TrustDomain | default .Values.global.trustDomain | default "cluster.local" | quote }}
`;

/** Every entry of the proxy config's `proxyMetadata`. */
export const PROXY_METADATA_ENV = `    {{- range $key, $value := .ProxyConfig.ProxyMetadata }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
`;

const goLimits = (release: IstioRelease) => `    - name: GOMEMLIMIT
      valueFrom: ${resourceRef('limits.memory', release)}
    - name: GOMAXPROCS
      valueFrom: ${resourceRef('limits.cpu', release)}
`;

/**
 * OpenTelemetry resource attributes of the workload (service namespace,
 * version and instance id, each from its resource.opentelemetry.io/
 * annotation or the pod), computed by istiod's `otelResourceAttributes`
 * and empty unless a tracing provider asks for OTel semantic conventions.
 */
const OTEL_RESOURCE_ATTRIBUTES = `    {{- with otelResourceAttributes .MeshConfig .ObjectMeta.Annotations .ObjectMeta.Labels .DeploymentMeta.Namespace .Spec.Containers }}
    - name: OTEL_RESOURCE_ATTRIBUTES
      value: {{ . | quote }}
    {{- end }}
`;

/**
 * From 1.31, a proxy under compliance policy fips-140-3 runs Go's crypto in
 * FIPS 140-3 mode only (GODEBUG), next to COMPLIANCE_POLICY.
 */
const FIPS_ONLY = `    {{- if eq .CompliancePolicy "fips-140-3" }}
    - name: GODEBUG
      value: "fips140=only"
    {{- end }}
`;

/**
 * The istio-proxy env list (indented for a container at 4 spaces). The
 * sidecar lists the app containers before the Go runtime limits; the
 * gateway template after them, and after the compliance policy (istiod's
 * order, which the injected pod keeps; before 1.30 our gateway text put the
 * app containers before the compliance policy, see
 * `gatewayComplianceEnvOrder`).
 */
export function proxyEnv(template: 'sidecar' | 'gateway', release: IstioRelease): string {
  const otel =
    template === 'sidecar' && has(release, 'sidecarOtelResourceAttributes')
      ? OTEL_RESOURCE_ATTRIBUTES
      : '';
  const appAfterCompliance = template === 'gateway' && has(release, 'gatewayComplianceEnvOrder');
  const limits =
    template === 'sidecar'
      ? APP_CONTAINERS + goLimits(release)
      : goLimits(release) + (appAfterCompliance ? '' : APP_CONTAINERS);
  return `    env:
    {{- if eq .InboundTrafficPolicyMode "localhost" }}
    - name: REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION
      value: "true"
    {{- end }}
${caEnv('"istiod%s.%s.svc:15012" (ternary (printf "-%s" .Values.revision) "" (ne (.Values.revision | default "") ""))')}${POD_ENV}    - name: ISTIO_CPU_LIMIT
      valueFrom: ${resourceRef('limits.cpu', release)}
${PROXY_CONFIG_ENV}${limits}    {{- if .CompliancePolicy }}
    - name: COMPLIANCE_POLICY
      value: {{ .CompliancePolicy | quote }}
${has(release, 'proxyFipsGodebug') ? FIPS_ONLY : ''}    {{- end }}
${appAfterCompliance ? APP_CONTAINERS : ''}${CLUSTER_ENV}    - name: ISTIO_META_INTERCEPTION_MODE
      value: {{ $mode | quote }}
${WORKLOAD_ENV}    {{- if isset $ann "sidecar.istio.io/bootstrapOverride" }}
    - name: ISTIO_BOOTSTRAP_OVERRIDE
      value: "/etc/istio/custom-bootstrap/custom_bootstrap.json"
    {{- end }}
${MESH_ENV}    {{- if and (eq (.Values.global.proxy.tracer | default "") "datadog") (isset $ann "apm.datadoghq.com/env") }}
    {{- range $key, $value := fromJSON (index $ann "apm.datadoghq.com/env") }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
    {{- end }}
${otel}${PROXY_METADATA_ENV}`;
}
