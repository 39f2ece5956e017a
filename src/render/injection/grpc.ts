import type { IstioRelease } from '../../releases/catalog.js';
import {
  APP_CONTAINERS,
  caEnv,
  CLUSTER_ENV,
  fieldEnv,
  MESH_ENV,
  POD_ENV,
  PROXY_CONFIG_ENV,
  PROXY_METADATA_ENV,
  WORKLOAD_ENV,
} from './proxy-env.js';
import {
  CANONICAL_LABELS,
  COMMON_ANNOTATIONS,
  prelude,
  proxyArgs,
  readinessProbe,
} from './shared.js';
import {
  agentVolumes,
  caMount,
  CERTS_VOLUME,
  PULL_SECRETS,
  TOKEN_CERTS_PODINFO_MOUNTS,
} from './volumes.js';

/** Sets `$istiod` to `istiod[-<rev>]`, the control plane the workload talks to. */
const ISTIOD = `{{- $istiod := "istiod" }}
{{- if ne (.Values.revision | default "") "" }}{{ $istiod = printf "istiod-%s" .Values.revision }}{{ end }}
`;

/**
 * The `grpc-simple` template: proxyless gRPC without an agent. An init
 * container writes an xDS bootstrap file (istiod's plain xDS port 15010,
 * insecure channel, node id `sidecar~<ip>~<pod>.<ns>~<cluster domain>`,
 * generator `grpc`); every app container gets `GRPC_XDS_BOOTSTRAP` and the
 * file's volume.
 */
export const grpcSimpleTemplate = `${ISTIOD}metadata:
  annotations:
    sidecar.istio.io/rewriteAppHTTPProbers: "false"
spec:
  initContainers:
  - name: grpc-bootstrap-init
    image: busybox:1.28
    volumeMounts:
    - mountPath: /var/lib/grpc/data/
      name: grpc-io-proxyless-bootstrap
    env:
${fieldEnv('INSTANCE_IP', 'status.podIP')}${fieldEnv('POD_NAME', 'metadata.name')}${fieldEnv('POD_NAMESPACE', 'metadata.namespace')}    - name: ISTIO_NAMESPACE
      value: {{ .Values.global.istioNamespace | quote }}
    command:
    - sh
    - "-c"
    - >-
      printf '{"xds_servers":[{"server_uri":"dns:///%s.%s.svc:15010","channel_creds":[{"type":"insecure"}],"server_features":["xds_v3"]}],"node":{"id":"sidecar~%s~%s.%s~%s","metadata":{"GENERATOR":"grpc"}}}'
      {{ $istiod | quote }} "$ISTIO_NAMESPACE" "$INSTANCE_IP" "$POD_NAME" "$POD_NAMESPACE" {{ .Values.global.proxy.clusterDomain | quote }}
      > /var/lib/grpc/data/bootstrap.json
  containers:
  {{- range .Spec.Containers }}
  - name: {{ .Name | quote }}
    env:
    - name: GRPC_XDS_BOOTSTRAP
      value: /var/lib/grpc/data/bootstrap.json
    - name: GRPC_GO_LOG_VERBOSITY_LEVEL
      value: "99"
    - name: GRPC_GO_LOG_SEVERITY_LEVEL
      value: info
    volumeMounts:
    - mountPath: /var/lib/grpc/data/
      name: grpc-io-proxyless-bootstrap
  {{- end }}
  volumes:
  - name: grpc-io-proxyless-bootstrap
    emptyDir: {}
`;

/**
 * The `grpc-agent` template: proxyless gRPC with the Istio agent. The
 * agent (`istio-proxy`, Envoy disabled, first so it starts before the app
 * when asked to hold) fetches certificates into /var/lib/istio/data and
 * serves an xDS proxy; app containers read its bootstrap from
 * `/etc/istio/proxy/grpc-bootstrap.json`. Health is the agent's status port.
 */
export function grpcAgentTemplate(release: IstioRelease): string {
  return `${prelude(release)}${ISTIOD}
{{- $status := .Values.global.proxy.statusPort }}
metadata:
  labels:
${CANONICAL_LABELS}  annotations:
${COMMON_ANNOTATIONS}    sidecar.istio.io/rewriteAppHTTPProbers: "false"
spec:
  containers:
  - name: istio-proxy
    image: {{ $image | quote }}
    ports:
    - containerPort: {{ $status }}
      protocol: TCP
      name: mesh-metrics
${proxyArgs('sidecar')}    {{- if or .Values.global.proxy.holdApplicationUntilProxyStarts .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}
    lifecycle: {"postStart": {"exec": {"command": ["pilot-agent", "wait", {{ printf "--url=http://localhost:%v/healthz/ready" $status | quote }}]}}}
    {{- end }}
    env:
    - name: ISTIO_META_GENERATOR
      value: grpc
    - name: OUTPUT_CERTS
      value: /var/lib/istio/data
${caEnv('"%s.%s.svc:15012" $istiod')}${POD_ENV}${PROXY_CONFIG_ENV}${APP_CONTAINERS}${CLUSTER_ENV}${WORKLOAD_ENV}${MESH_ENV}${PROXY_METADATA_ENV}    - name: ISTIO_META_DNS_CAPTURE
      value: "false"
    - name: DISABLE_ENVOY
      value: "true"
    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
${readinessProbe('{{ $status }}')}    resources: {{ $res | toJson }}
    volumeMounts:
    - name: workload-socket
      mountPath: /var/run/secrets/workload-spiffe-uds
    - name: workload-certs
      mountPath: /var/run/secrets/workload-spiffe-credentials
${caMount(false)}    - name: istio-data
      mountPath: /var/lib/istio/data
    - name: istio-xds
      mountPath: /etc/istio/proxy
${TOKEN_CERTS_PODINFO_MOUNTS}  {{- range .Spec.Containers }}
  {{- if ne .Name "istio-proxy" }}
  - name: {{ .Name | quote }}
    env:
    - name: GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT
      value: "true"
    - name: GRPC_XDS_BOOTSTRAP
      value: /etc/istio/proxy/grpc-bootstrap.json
    volumeMounts:
    - mountPath: /var/lib/istio/data
      name: istio-data
    - mountPath: /etc/istio/proxy
      name: istio-xds
    - mountPath: /var/run/secrets/workload-spiffe-credentials
      name: workload-certs
  {{- end }}
  {{- end }}
  volumes:
  - name: workload-socket
    emptyDir:
  - name: workload-certs
    emptyDir:
${agentVolumes('istio-xds')}  {{- if eq .Values.global.pilotCertProvider "istiod" }}
  - name: istiod-ca-cert
    configMap:
      name: {{ .Values.global.trustBundleName | default "istio-ca-root-cert" | quote }}
  {{- end }}
${CERTS_VOLUME}${PULL_SECRETS}`;
}
