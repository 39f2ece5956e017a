import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';
import { proxyEnv } from './proxy-env.js';
import {
  canonicalLabels,
  COMMON_ANNOTATIONS,
  prelude,
  proxyArgs,
  readinessProbe,
} from './shared.js';
import { proxyMounts, proxyVolumes } from './volumes.js';

/** Inbound capture, exclusions and the rest of the traffic annotations the CNI plugin reads. */
const CNI_ANNOTATIONS = `    {{- if .Values.pilot.cni.enabled }}
    sidecar.istio.io/interceptionMode: {{ $mode | quote }}
    {{- with annotation .ObjectMeta "traffic.sidecar.istio.io/includeOutboundIPRanges" .Values.global.proxy.includeIPRanges }}{{ if ne . "" }}
    traffic.sidecar.istio.io/includeOutboundIPRanges: {{ . | quote }}{{ end }}{{ end }}
    {{- with annotation .ObjectMeta "traffic.sidecar.istio.io/excludeOutboundIPRanges" .Values.global.proxy.excludeIPRanges }}{{ if ne . "" }}
    traffic.sidecar.istio.io/excludeOutboundIPRanges: {{ . | quote }}{{ end }}{{ end }}
    traffic.sidecar.istio.io/includeInboundPorts: {{ annotation .ObjectMeta "traffic.sidecar.istio.io/includeInboundPorts" .Values.global.proxy.includeInboundPorts | quote }}
    traffic.sidecar.istio.io/excludeInboundPorts: {{ excludeInboundPort (annotation .ObjectMeta "status.sidecar.istio.io/port" .Values.global.proxy.statusPort) (annotation .ObjectMeta "traffic.sidecar.istio.io/excludeInboundPorts" .Values.global.proxy.excludeInboundPorts) | quote }}
    {{- with annotation .ObjectMeta "traffic.sidecar.istio.io/includeOutboundPorts" .Values.global.proxy.includeOutboundPorts }}{{ if ne . "" }}
    traffic.sidecar.istio.io/includeOutboundPorts: {{ . | quote }}{{ end }}{{ end }}
    {{- with annotation .ObjectMeta "traffic.sidecar.istio.io/excludeOutboundPorts" .Values.global.proxy.excludeOutboundPorts }}{{ if ne . "" }}
    traffic.sidecar.istio.io/excludeOutboundPorts: {{ . | quote }}{{ end }}{{ end }}
    {{- if isset $ann "istio.io/reroute-virtual-interfaces" }}
    istio.io/reroute-virtual-interfaces: {{ index $ann "istio.io/reroute-virtual-interfaces" | quote }}
    {{- else if isset $ann "traffic.sidecar.istio.io/kubevirtInterfaces" }}
    traffic.sidecar.istio.io/kubevirtInterfaces: {{ index $ann "traffic.sidecar.istio.io/kubevirtInterfaces" | quote }}
    {{- end }}
    {{- if isset $ann "traffic.sidecar.istio.io/excludeInterfaces" }}
    traffic.sidecar.istio.io/excludeInterfaces: {{ index $ann "traffic.sidecar.istio.io/excludeInterfaces" | quote }}
    {{- end }}
    {{- if eq (.Values.pilot.cni.provider | default "") "multus" }}
    k8s.v1.cni.cncf.io/networks: {{ appendMultusNetwork (index $ann "k8s.v1.cni.cncf.io/networks") "default/istio-cni" | quote }}
    {{- end }}
    {{- end }}
`;

/**
 * The iptables setup container: `istio-init` programs the redirection
 * (outbound to 15001, inbound to 15006, UID/GID of the proxy excluded);
 * with CNI the plugin does that and `istio-validation` only checks it.
 * Interception mode NONE needs neither.
 */
function initContainer(release: IstioRelease): string {
  // From 1.31 istiod names the init image itself: values.global.proxy_init.image
  // at the mesh's hub and tag, with the variant or the proxyImageType
  // annotation but not the proxy config's image type.
  const initImage = has(release, 'proxyInitImage') ? '.ProxyInitImage' : '.ProxyImage';
  return `  {{- if or (ne $mode "NONE") .NativeSidecars }}
  initContainers:
  {{- if ne $mode "NONE" }}
  - name: {{ if .Values.pilot.cni.enabled }}istio-validation{{ else }}istio-init{{ end }}
    image: {{ if contains "/" (annotation .ObjectMeta "sidecar.istio.io/proxyImage" .Values.global.proxy_init.image) }}{{ annotation .ObjectMeta "sidecar.istio.io/proxyImage" .Values.global.proxy_init.image | quote }}{{ else }}{{ ${initImage} | quote }}{{ end }}
    args:
    - istio-iptables
    - "-p"
    - {{ .MeshConfig.ProxyListenPort | default 15001 | quote }}
    - "-z"
    - {{ .MeshConfig.ProxyInboundListenPort | default 15006 | quote }}
    - "-u"
    - {{ $proxyUID | quote }}
    - "-m"
    - {{ $mode | quote }}
    - "-i"
    - {{ annotation .ObjectMeta "traffic.sidecar.istio.io/includeOutboundIPRanges" .Values.global.proxy.includeIPRanges | quote }}
    - "-x"
    - {{ annotation .ObjectMeta "traffic.sidecar.istio.io/excludeOutboundIPRanges" .Values.global.proxy.excludeIPRanges | quote }}
    - "-b"
    - {{ annotation .ObjectMeta "traffic.sidecar.istio.io/includeInboundPorts" .Values.global.proxy.includeInboundPorts | quote }}
    - "-d"
    - {{ printf "15090,15021,%s" (excludeInboundPort (annotation .ObjectMeta "status.sidecar.istio.io/port" .Values.global.proxy.statusPort) (annotation .ObjectMeta "traffic.sidecar.istio.io/excludeInboundPorts" .Values.global.proxy.excludeInboundPorts)) | quote }}
    {{- with annotation .ObjectMeta "traffic.sidecar.istio.io/includeOutboundPorts" .Values.global.proxy.includeOutboundPorts }}{{ if ne . "" }}
    - "-q"
    - {{ . | quote }}{{ end }}{{ end }}
    {{- with annotation .ObjectMeta "traffic.sidecar.istio.io/excludeOutboundPorts" .Values.global.proxy.excludeOutboundPorts }}{{ if ne . "" }}
    - "-o"
    - {{ . | quote }}{{ end }}{{ end }}
    {{- if isset $ann "istio.io/reroute-virtual-interfaces" }}
    - "-k"
    - {{ index $ann "istio.io/reroute-virtual-interfaces" | quote }}
    {{- else if isset $ann "traffic.sidecar.istio.io/kubevirtInterfaces" }}
    - "-k"
    - {{ index $ann "traffic.sidecar.istio.io/kubevirtInterfaces" | quote }}
    {{- end }}
    {{- if isset $ann "traffic.sidecar.istio.io/excludeInterfaces" }}
    - "-c"
    - {{ index $ann "traffic.sidecar.istio.io/excludeInterfaces" | quote }}
    {{- end }}
    - {{ printf "--log_output_level=%s" (annotation .ObjectMeta "sidecar.istio.io/agentLogLevel" .Values.global.logging.level) | quote }}
    {{- if .Values.global.logAsJson }}
    - "--log_as_json"
    {{- end }}
    {{- if .Values.pilot.cni.enabled }}
    - "--run-validation"
    - "--skip-rule-apply"
    {{- else if .Values.global.proxy_init.forceApplyIptables }}
    - "--force-apply"
    {{- end }}
    {{- if .Values.global.nativeNftables }}
    - "--native-nftables"
    {{- end }}
    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
    {{- if .ProxyConfig.ProxyMetadata }}
    env:
    {{- range $key, $value := .ProxyConfig.ProxyMetadata }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
    {{- end }}
    resources: {{ $res | toJson }}
    securityContext:
      allowPrivilegeEscalation: {{ .Values.global.proxy.privileged }}
      privileged: {{ .Values.global.proxy.privileged }}
      capabilities:
        {{- if not .Values.pilot.cni.enabled }}
        add:
        - NET_ADMIN
        - NET_RAW
        {{- end }}
        drop:
        - ALL
      {{- if .Values.pilot.cni.enabled }}
      readOnlyRootFilesystem: true
      runAsGroup: {{ $proxyGID }}
      runAsUser: {{ $proxyUID }}
      runAsNonRoot: true
      {{- else }}
      readOnlyRootFilesystem: false
      runAsGroup: 0
      runAsUser: 0
      runAsNonRoot: false
      {{- end }}
${seccomp(release)}  {{- end }}
  {{- if .NativeSidecars }}
  - name: istio-proxy
${'{{- template "proxy" . }}'}
  {{- end }}
  {{- end }}
`;
}

/**
 * From 1.28 the proxy's and the init container's securityContext take
 * `values.global.proxy.seccompProfile` when it is set (indent 6).
 */
function seccomp(release: IstioRelease): string {
  if (!has(release, 'proxySeccompProfile')) return '';
  return `      {{- with .Values.global.proxy.seccompProfile }}
      seccompProfile: {{ toJson . }}
      {{- end }}
`;
}

/**
 * The istio-proxy container body (everything after its name), defined once
 * and used in `containers` or, for native sidecars, in `initContainers`.
 */
function proxyBody(release: IstioRelease): string {
  return `{{- define "proxy" }}
${prelude(release)}
    image: {{ $image | quote }}
    {{- if .NativeSidecars }}
    restartPolicy: Always
    {{- end }}
    ports:
    - containerPort: 15090
      protocol: TCP
      name: http-envoy-prom
${proxyArgs('sidecar')}    {{- if .Values.global.proxy.outlierLogPath }}
    - {{ printf "--outlierLogPath=%s" .Values.global.proxy.outlierLogPath | quote }}
    {{- end }}
    {{- $hold := or .Values.global.proxy.holdApplicationUntilProxyStarts .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}
    {{- if .Values.global.proxy.lifecycle }}
    lifecycle: {{ .Values.global.proxy.lifecycle | toJson }}
    {{- else if .NativeSidecars }}
    lifecycle: {"preStop": {"exec": {"command": ["pilot-agent", "request", {{ printf "--debug-port=%v" (annotation .ObjectMeta "status.sidecar.istio.io/port" .Values.global.proxy.statusPort) | quote }}, "POST", "drain"]}}}
    {{- else if $hold }}
    lifecycle: {"postStart": {"exec": {"command": ["pilot-agent", "wait"]}}}
    {{- end }}
${proxyEnv('sidecar', release)}
    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
    {{- if ne (annotation .ObjectMeta "status.sidecar.istio.io/port" .Values.global.proxy.statusPort) "0" }}
    {{- if .Values.global.proxy.startupProbe.enabled }}
    startupProbe:
      httpGet:
        path: /healthz/ready
        port: 15021
      initialDelaySeconds: 0
      periodSeconds: 1
      timeoutSeconds: 3
      failureThreshold: {{ .Values.global.proxy.startupProbe.failureThreshold }}
    {{- end }}
${readinessProbe('15021')}
    {{- end }}
    {{- $root := or (eq $mode "TPROXY") (eq (annotation .ObjectMeta "sidecar.istio.io/capNetBindService" .Values.global.proxy.capNetBindService) "true") }}
    {{- $trace := eq (index .ProxyConfig.ProxyMetadata "IPTABLES_TRACE_LOGGING") "true" }}
    securityContext:
      {{- if $trace }}
      allowPrivilegeEscalation: true
      privileged: true
      {{- else }}
      allowPrivilegeEscalation: {{ .Values.global.proxy.privileged }}
      privileged: {{ .Values.global.proxy.privileged }}
      {{- end }}
      {{- $netAdmin := or (eq $mode "TPROXY") $trace }}
      {{- $bind := eq (annotation .ObjectMeta "sidecar.istio.io/capNetBindService" .Values.global.proxy.capNetBindService) "true" }}
      capabilities:
        {{- if or $netAdmin $bind }}
        add:
        {{- if $netAdmin }}
        - NET_ADMIN
        {{- end }}
        {{- if $bind }}
        - NET_BIND_SERVICE
        {{- end }}
        {{- end }}
        drop:
        - ALL
      readOnlyRootFilesystem: true
      {{- if or $root $trace }}
      runAsGroup: {{ $proxyGID }}
      runAsNonRoot: false
      runAsUser: 0
      {{- else }}
      runAsGroup: {{ $proxyGID }}
      runAsNonRoot: true
      runAsUser: {{ $proxyUID }}
      {{- end }}
${seccomp(release)}    resources: {{ $res | toJson }}
${proxyMounts(true)}{{- end }}
`;
}

/**
 * The `sidecar` template: labels and annotations istiod and telemetry rely
 * on, the traffic-capture init container, the `istio-proxy` container
 * (proxyv2 as UID 1337, Envoy metrics on 15090, agent health on 15021,
 * merged metrics on 15020) and the volumes it mounts.
 */
export function sidecarTemplate(release: IstioRelease): string {
  return `${proxyBody(release)}${prelude(release)}
metadata:
  labels:
    security.istio.io/tlsMode: {{ index .ObjectMeta.Labels "security.istio.io/tlsMode" | default "istio" | quote }}
    {{- if eq (index .ProxyConfig.ProxyMetadata "ISTIO_META_ENABLE_HBONE") "true" }}
    networking.istio.io/tunnel: {{ index .ObjectMeta.Labels "networking.istio.io/tunnel" | default "http" | quote }}
    {{- end }}
${canonicalLabels(has(release, 'canonicalNameTrimAll'))}  annotations:
${COMMON_ANNOTATIONS}${CNI_ANNOTATIONS}spec:
${initContainer(release)}  {{- if not .NativeSidecars }}
  containers:
  - name: istio-proxy
${'{{- template "proxy" . }}'}
  {{- end }}
${proxyVolumes(release, true)}`;
}
