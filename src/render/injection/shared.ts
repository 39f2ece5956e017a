/**
 * Pieces shared by the injection templates. The templates are Go
 * text/template sources that istiod's injector executes against a pod (see
 * docs/rendering.md); each piece here is a fragment of such a source.
 *
 * Where a template emits a whole sub-object (resources, lifecycle), it
 * writes it as one line of JSON, which is valid YAML and needs no
 * indentation bookkeeping.
 *
 * Every value a template takes from a pod annotation (images, log levels,
 * the bootstrap ConfigMap, …) is written through `quote`, on every line, so
 * no annotation can carry YAML into the pod. That is the form Istio's
 * security releases 1.30.4 and 1.31.1 gave their templates; the 1.31 oracle
 * (~1.31.0) predates it and writes some of them raw, so for a value holding
 * YAML syntax (` #`, a line break) it yields other objects than ours — a
 * difference by design. For ordinary values both forms yield the same.
 *
 * What differs between Istio lines is chosen by `has(release, change)`
 * (src/releases/changes.ts); each line's text is verified with that line's
 * own injector (test/conformance/injection.test.ts, or the records of
 * scripts/injection-verify.ts).
 */
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';

/**
 * Variables every template starts with. `$res` is the proxy resources,
 * honouring the resource annotations (from 1.28 without nil entries).
 */
export function prelude(release: IstioRelease): string {
  const resources = has(release, 'proxyResourcesOmitNil')
    ? '.Values.global.proxy.resources | omitNil'
    : '.Values.global.proxy.resources';
  return `{{- $ann := .ObjectMeta.Annotations }}
{{- $proxyUID := .ProxyUID | default 1337 }}
{{- $proxyGID := .ProxyGID | default 1337 }}
{{- $mode := annotation .ObjectMeta "sidecar.istio.io/interceptionMode" .ProxyConfig.InterceptionMode }}
{{- $res := ${resources} }}
{{- if or (isset $ann "sidecar.istio.io/proxyCPU") (isset $ann "sidecar.istio.io/proxyMemory") (isset $ann "sidecar.istio.io/proxyCPULimit") (isset $ann "sidecar.istio.io/proxyMemoryLimit") }}
  {{- $req := dict }}
  {{- $lim := dict }}
  {{- if isset $ann "sidecar.istio.io/proxyCPU" }}{{ $_ := set $req "cpu" (index $ann "sidecar.istio.io/proxyCPU") }}{{ end }}
  {{- if isset $ann "sidecar.istio.io/proxyMemory" }}{{ $_ := set $req "memory" (index $ann "sidecar.istio.io/proxyMemory") }}{{ end }}
  {{- if isset $ann "sidecar.istio.io/proxyCPULimit" }}{{ $_ := set $lim "cpu" (index $ann "sidecar.istio.io/proxyCPULimit") }}{{ end }}
  {{- if isset $ann "sidecar.istio.io/proxyMemoryLimit" }}{{ $_ := set $lim "memory" (index $ann "sidecar.istio.io/proxyMemoryLimit") }}{{ end }}
  {{- $res = dict }}
  {{- if $req }}{{ $_ := set $res "requests" $req }}{{ end }}
  {{- if $lim }}{{ $_ := set $res "limits" $lim }}{{ end }}
{{- end }}
{{- $image := .ProxyImage }}
{{- if contains "/" (annotation .ObjectMeta "sidecar.istio.io/proxyImage" .Values.global.proxy.image) }}
  {{- $image = annotation .ObjectMeta "sidecar.istio.io/proxyImage" .Values.global.proxy.image }}
{{- end }}
`;
}

/**
 * A container resource as an env value source (flow style). From 1.29 the
 * unit is explicit: `divisor: "1"` (whole CPUs, bytes).
 */
export function resourceRef(resource: string, release: IstioRelease): string {
  const divisor = has(release, 'cpuLimitDivisor') ? ', divisor: "1"' : '';
  return `{resourceFieldRef: {resource: ${resource}${divisor}}}`;
}

/**
 * Canonical service labels; they keep what the workload already says. The
 * name is cut to a label value's 63 characters, then trimmed of what may
 * not end one: a trailing "-"; from 1.31 (`trimmed`, the sidecar template
 * only) "-", "_" and "." at both ends.
 */
export function canonicalLabels(trimmed = false): string {
  const trim = trimmed ? 'trimAll "-_."' : 'trimSuffix "-"';
  return `    service.istio.io/canonical-name: {{ index .ObjectMeta.Labels "service.istio.io/canonical-name" | default (index .ObjectMeta.Labels "app.kubernetes.io/name") | default (index .ObjectMeta.Labels "app") | default .DeploymentMeta.Name | trunc 63 | ${trim} | quote }}
    service.istio.io/canonical-revision: {{ index .ObjectMeta.Labels "service.istio.io/canonical-revision" | default (index .ObjectMeta.Labels "app.kubernetes.io/version") | default (index .ObjectMeta.Labels "version") | default "latest" | quote }}
`;
}

/**
 * The canonical labels of the gateway and grpc-agent templates, on every
 * line. (Istio's own two neither cut nor trim the name; they agree with
 * these for every name of at most 63 characters that does not end in "-".)
 */
export const CANONICAL_LABELS = canonicalLabels();

/** The revision and default-container annotations. */
export const COMMON_ANNOTATIONS = `    istio.io/rev: {{ .Revision | default "default" | quote }}
    {{- if ge (len .Spec.Containers) 1 }}
    {{- if not (isset $ann "kubectl.kubernetes.io/default-logs-container") }}
    kubectl.kubernetes.io/default-logs-container: {{ (index .Spec.Containers 0).Name | quote }}
    {{- end }}
    {{- if not (isset $ann "kubectl.kubernetes.io/default-container") }}
    kubectl.kubernetes.io/default-container: {{ (index .Spec.Containers 0).Name | quote }}
    {{- end }}
    {{- end }}
`;

const APP_CONTAINERS = `    - name: ISTIO_META_APP_CONTAINERS
      value: {{ $names := list }}{{ range .Spec.Containers }}{{ if ne .Name "istio-proxy" }}{{ $names = append $names .Name }}{{ end }}{{ end }}{{ join "," $names | quote }}
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
  return PROXY_ENV_TEXT.replace('@@APP_CONTAINERS_AND_GO_LIMITS@@', () => limits)
    .replace('@@AFTER_COMPLIANCE@@', () => (appAfterCompliance ? APP_CONTAINERS : ''))
    .replace('@@CPU_LIMIT@@', () => resourceRef('limits.cpu', release))
    .replace('@@FIPS@@', () => (has(release, 'proxyFipsGodebug') ? FIPS_ONLY : ''))
    .replace('@@OTEL@@', () => otel);
}

/**
 * From 1.31, a proxy under compliance policy fips-140-3 runs Go's crypto in
 * FIPS 140-3 mode only (GODEBUG), next to COMPLIANCE_POLICY.
 */
const FIPS_ONLY = `    {{- if eq .CompliancePolicy "fips-140-3" }}
    - name: GODEBUG
      value: "fips140=only"
    {{- end }}
`;

const PROXY_ENV_TEXT = `    env:
    {{- if eq .InboundTrafficPolicyMode "localhost" }}
    - name: REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION
      value: "true"
    {{- end }}
    - name: PILOT_CERT_PROVIDER
      value: {{ .Values.global.pilotCertProvider | quote }}
    - name: CA_ADDR
      {{- if .Values.global.caAddress }}
      value: {{ .Values.global.caAddress | quote }}
      {{- else }}
      value: {{ printf "istiod%s.%s.svc:15012" (ternary (printf "-%s" .Values.revision) "" (ne (.Values.revision | default "") "")) .Values.global.istioNamespace | quote }}
      {{- end }}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: POD_NAMESPACE
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: INSTANCE_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: SERVICE_ACCOUNT
      valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}
    - name: HOST_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: ISTIO_CPU_LIMIT
      valueFrom: @@CPU_LIMIT@@
    - name: PROXY_CONFIG
      value: {{ protoToJSON .ProxyConfig | quote }}
    - name: ISTIO_META_POD_PORTS
      value: {{ $ports := list }}{{ range .Spec.Containers }}{{ range .Ports }}{{ $ports = append $ports . }}{{ end }}{{ end }}{{ structToJSON $ports | quote }}
@@APP_CONTAINERS_AND_GO_LIMITS@@    {{- if .CompliancePolicy }}
    - name: COMPLIANCE_POLICY
      value: {{ .CompliancePolicy | quote }}
@@FIPS@@    {{- end }}
@@AFTER_COMPLIANCE@@    - name: ISTIO_META_CLUSTER_ID
      value: {{ valueOrDefault .Values.global.multiCluster.clusterName "Kubernetes" | quote }}
    - name: ISTIO_META_NODE_NAME
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: ISTIO_META_INTERCEPTION_MODE
      value: {{ $mode | quote }}
    {{- if .Values.global.network }}
    - name: ISTIO_META_NETWORK
      value: {{ .Values.global.network | quote }}
    {{- end }}
    - name: ISTIO_META_WORKLOAD_NAME
      value: {{ index .ObjectMeta.Labels "service.istio.io/workload-name" | default .DeploymentMeta.Name | quote }}
    - name: ISTIO_META_OWNER
      value: {{ printf "kubernetes://apis/%s/namespaces/%s/%ss/%s" .TypeMeta.APIVersion (valueOrDefault .DeploymentMeta.Namespace "default") (toLower .TypeMeta.Kind) .DeploymentMeta.Name | quote }}
    {{- if isset $ann "sidecar.istio.io/bootstrapOverride" }}
    - name: ISTIO_BOOTSTRAP_OVERRIDE
      value: "/etc/istio/custom-bootstrap/custom_bootstrap.json"
    {{- end }}
    - name: ISTIO_META_MESH_ID
      value: {{ .Values.global.meshID | default .MeshConfig.TrustDomain | default "cluster.local" | quote }}
    - name: TRUST_DOMAIN
      value: {{ .MeshConfig.TrustDomain | default .Values.global.trustDomain | default "cluster.local" | quote }}
    {{- if and (eq (.Values.global.proxy.tracer | default "") "datadog") (isset $ann "apm.datadoghq.com/env") }}
    {{- range $key, $value := fromJSON (index $ann "apm.datadoghq.com/env") }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
    {{- end }}
@@OTEL@@    {{- range $key, $value := .ProxyConfig.ProxyMetadata }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
`;

/** The readiness probe on the agent's health port, tuned by annotations. */
export const READINESS_PROBE = `    readinessProbe:
      httpGet:
        path: /healthz/ready
        port: 15021
      initialDelaySeconds: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/initialDelaySeconds" .Values.global.proxy.readinessInitialDelaySeconds }}
      periodSeconds: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/periodSeconds" .Values.global.proxy.readinessPeriodSeconds }}
      timeoutSeconds: 3
      failureThreshold: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/failureThreshold" .Values.global.proxy.readinessFailureThreshold }}
`;

/** Mounts of the proxy container (indent 4). `withCrl` adds the CRL mount. */
export function proxyMounts(withCrl: boolean): string {
  return `    volumeMounts:
    - name: workload-socket
      mountPath: /var/run/secrets/workload-spiffe-uds
    - name: credential-socket
      mountPath: /var/run/secrets/credential-uds
    {{- if eq .Values.global.caName "GkeWorkloadCertificate" }}
    - name: gke-workload-certificate
      mountPath: /var/run/secrets/workload-spiffe-credentials
      readOnly: true
    {{- else }}
    - name: workload-certs
      mountPath: /var/run/secrets/workload-spiffe-credentials
    {{- end }}
    {{- if eq .Values.global.pilotCertProvider "istiod" }}
    - name: istiod-ca-cert
      mountPath: /var/run/secrets/istio
    ${
      withCrl
        ? `- name: istio-ca-crl
      mountPath: /var/run/secrets/istio/crl
    `
        : ''
    }{{- end }}
    - name: istio-data
      mountPath: /var/lib/istio/data
    {{- if isset $ann "sidecar.istio.io/bootstrapOverride" }}
    - name: custom-bootstrap-volume
      mountPath: /etc/istio/custom-bootstrap
    {{- end }}
    - name: istio-envoy
      mountPath: /etc/istio/proxy
    - name: istio-token
      mountPath: /var/run/secrets/tokens
    {{- if .Values.global.mountMtlsCerts }}
    - name: istio-certs
      mountPath: /etc/certs/
      readOnly: true
    {{- end }}
    - name: istio-podinfo
      mountPath: /etc/istio/pod
    {{- if isset $ann "sidecar.istio.io/userVolumeMount" }}
    {{- range $name, $m := fromJSON (index $ann "sidecar.istio.io/userVolumeMount") }}
    {{- $_ := set $m "name" $name }}
    - {{ $m | mustToJson }}
    {{- end }}
    {{- end }}
`;
}

/**
 * Pod volumes backing the proxy mounts (indent 2). `withCrl` adds the CRL
 * volume; `explicitEmptyDirs` writes `emptyDir: {}` (as the gateway
 * template does) instead of a bare `emptyDir:` for the socket and
 * credential volumes (the API server defaults both to an empty dir).
 */
export function proxyVolumes(
  release: IstioRelease,
  withCrl: boolean,
  explicitEmptyDirs = false,
): string {
  const empty = explicitEmptyDirs ? ' {}' : '';
  const crlName = has(release, 'sidecarCrlConfigMapValue')
    ? '{{ .Values.pilot.crlConfigMapName | default "istio-ca-crl" | quote }}'
    : 'istio-ca-crl';
  return `  volumes:
  - name: workload-socket
    emptyDir:
  - name: credential-socket
    emptyDir:${empty}
  {{- if eq .Values.global.caName "GkeWorkloadCertificate" }}
  - name: gke-workload-certificate
    csi:
      driver: workloadcertificates.security.cloud.google.com
  {{- else }}
  - name: workload-certs
    emptyDir:${empty}
  {{- end }}
  {{- if isset $ann "sidecar.istio.io/bootstrapOverride" }}
  - name: custom-bootstrap-volume
    configMap:
      name: {{ index $ann "sidecar.istio.io/bootstrapOverride" | quote }}
  {{- end }}
  - name: istio-envoy
    emptyDir:
      medium: Memory
  - name: istio-data
    emptyDir: {}
  - name: istio-podinfo
    downwardAPI:
      items:
      - path: labels
        fieldRef:
          fieldPath: metadata.labels
      - path: annotations
        fieldRef:
          fieldPath: metadata.annotations
  - name: istio-token
    projected:
      sources:
      - serviceAccountToken:
          path: istio-token
          expirationSeconds: 43200
          audience: {{ .Values.global.sds.token.aud | quote }}
  {{- if eq .Values.global.pilotCertProvider "istiod" }}
  - name: istiod-ca-cert
    {{- if eq (toString (index .Values.pilot.env "ENABLE_CLUSTER_TRUST_BUNDLE_API")) "true" }}
    projected:
      sources:
      - clusterTrustBundle:
          name: istio.io:istiod-ca:root-cert
          path: root-cert.pem
    {{- else }}
    configMap:
      name: {{ .Values.global.trustBundleName | default "istio-ca-root-cert" | quote }}
    {{- end }}
  ${
    withCrl
      ? `- name: istio-ca-crl
    configMap:
      name: ${crlName}
      optional: true
  `
      : ''
  }{{- end }}
  {{- if .Values.global.mountMtlsCerts }}
  - name: istio-certs
    secret:
      optional: true
      secretName: {{ printf "istio.%s" (.Spec.ServiceAccountName | default "default") | quote }}
  {{- end }}
  {{- if isset $ann "sidecar.istio.io/userVolume" }}
  {{- range $name, $v := fromJSON (index $ann "sidecar.istio.io/userVolume") }}
  {{- $_ := set $v "name" $name }}
  - {{ $v | mustToJson }}
  {{- end }}
  {{- end }}
  {{- if .Values.global.imagePullSecrets }}
  imagePullSecrets:
  {{- range .Values.global.imagePullSecrets }}
  - name: {{ . | quote }}
  {{- end }}
  {{- end }}
`;
}
