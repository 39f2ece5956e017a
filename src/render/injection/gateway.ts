import type { IstioRelease } from '../../releases/catalog.js';
import { proxyEnv } from './proxy-env.js';
import { CANONICAL_LABELS, prelude, proxyArgs, readinessProbe } from './shared.js';
import { proxyMounts, proxyVolumes } from './volumes.js';

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
${proxyArgs('router')}    {{- with .Values.global.proxy.lifecycle }}
    lifecycle: {{ . | toJson }}
    {{- end }}
    securityContext:
      runAsUser: {{ $proxyUID }}
      runAsGroup: {{ $proxyGID }}
${proxyEnv('gateway', release)}    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
${readinessProbe('15021')}    {{- if or (isset $ann "sidecar.istio.io/proxyCPU") (isset $ann "sidecar.istio.io/proxyMemory") (isset $ann "sidecar.istio.io/proxyCPULimit") (isset $ann "sidecar.istio.io/proxyMemoryLimit") }}
    resources: {{ $res | toJson }}
    {{- end }}
${proxyMounts(false)}${proxyVolumes(release, false, true)}`;
}
