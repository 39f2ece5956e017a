import type { IstioRelease } from '../../releases/catalog.js';
import {
  CANONICAL_LABELS,
  prelude,
  proxyEnv,
  READINESS_PROBE,
  proxyMounts,
  proxyVolumes,
} from './shared.js';

/**
 * The `gateway` template, for pods that run Envoy as a gateway (annotation
 * `inject.istio.io/templates: gateway`, container `istio-proxy` with image
 * `auto`): no traffic capture, Envoy as a router, unprivileged low ports
 * through a pod sysctl unless `values.gateways.securityContext` is set.
 * Resources come only from the resource annotations: the gateway's own
 * container spec decides them otherwise.
 */
export function gatewayTemplate(release: IstioRelease): string {
  return `${prelude(release)}
metadata:
  labels:
${CANONICAL_LABELS}  annotations:
    istio.io/rev: {{ .Revision | default "default" | quote }}
spec:
  securityContext:
  {{- if .Values.gateways.securityContext }}
    {{- range $k, $v := .Values.gateways.securityContext }}
    {{ $k }}: {{ $v | toJson }}
    {{- end }}
  {{- else }}
    sysctls:
    - name: net.ipv4.ip_unprivileged_port_start
      value: "0"
  {{- end }}
  containers:
  - name: istio-proxy
    image: {{ $image | quote }}
    ports:
    - containerPort: 15090
      protocol: TCP
      name: http-envoy-prom
    args:
    - proxy
    - router
    - --domain
    - {{ printf "$(POD_NAMESPACE).svc.%s" .Values.global.proxy.clusterDomain | quote }}
    - {{ printf "--proxyLogLevel=%s" (annotation .ObjectMeta "sidecar.istio.io/logLevel" .Values.global.proxy.logLevel) | quote }}
    - {{ printf "--proxyComponentLogLevel=%s" (annotation .ObjectMeta "sidecar.istio.io/componentLogLevel" .Values.global.proxy.componentLogLevel) | quote }}
    - {{ printf "--log_output_level=%s" (annotation .ObjectMeta "sidecar.istio.io/agentLogLevel" .Values.global.logging.level) | quote }}
    {{- if .Values.global.sts.servicePort }}
    - {{ printf "--stsPort=%v" .Values.global.sts.servicePort | quote }}
    {{- end }}
    {{- if .Values.global.logAsJson }}
    - --log_as_json
    {{- end }}
    {{- with .Values.global.proxy.lifecycle }}
    lifecycle: {{ . | toJson }}
    {{- end }}
    securityContext:
      runAsUser: {{ $proxyUID }}
      runAsGroup: {{ $proxyGID }}
${proxyEnv('gateway', release)}    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
${READINESS_PROBE}    {{- if or (isset $ann "sidecar.istio.io/proxyCPU") (isset $ann "sidecar.istio.io/proxyMemory") (isset $ann "sidecar.istio.io/proxyCPULimit") (isset $ann "sidecar.istio.io/proxyMemoryLimit") }}
    resources: {{ $res | toJson }}
    {{- end }}
${proxyMounts(false)}${proxyVolumes(release, false, true)}`;
}
