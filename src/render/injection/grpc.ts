import type { IstioRelease } from '../../releases/catalog.js';
import { CANONICAL_LABELS, COMMON_ANNOTATIONS, prelude } from './shared.js';

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
    - name: INSTANCE_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: POD_NAMESPACE
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: ISTIO_NAMESPACE
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
    args:
    - proxy
    - sidecar
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
    {{- if or .Values.global.proxy.holdApplicationUntilProxyStarts .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}
    lifecycle: {"postStart": {"exec": {"command": ["pilot-agent", "wait", {{ printf "--url=http://localhost:%v/healthz/ready" $status | quote }}]}}}
    {{- end }}
    env:
    - name: ISTIO_META_GENERATOR
      value: grpc
    - name: OUTPUT_CERTS
      value: /var/lib/istio/data
    - name: PILOT_CERT_PROVIDER
      value: {{ .Values.global.pilotCertProvider | quote }}
    - name: CA_ADDR
      {{- if .Values.global.caAddress }}
      value: {{ .Values.global.caAddress | quote }}
      {{- else }}
      value: {{ printf "%s.%s.svc:15012" $istiod .Values.global.istioNamespace | quote }}
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
    - name: PROXY_CONFIG
      value: {{ protoToJSON .ProxyConfig | quote }}
    - name: ISTIO_META_POD_PORTS
      value: {{ $ports := list }}{{ range .Spec.Containers }}{{ range .Ports }}{{ $ports = append $ports . }}{{ end }}{{ end }}{{ structToJSON $ports | quote }}
    - name: ISTIO_META_APP_CONTAINERS
      value: {{ $names := list }}{{ range .Spec.Containers }}{{ if ne .Name "istio-proxy" }}{{ $names = append $names .Name }}{{ end }}{{ end }}{{ join "," $names | quote }}
    - name: ISTIO_META_CLUSTER_ID
      value: {{ valueOrDefault .Values.global.multiCluster.clusterName "Kubernetes" | quote }}
    - name: ISTIO_META_NODE_NAME
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    {{- if .Values.global.network }}
    - name: ISTIO_META_NETWORK
      value: {{ .Values.global.network | quote }}
    {{- end }}
    - name: ISTIO_META_WORKLOAD_NAME
      value: {{ index .ObjectMeta.Labels "service.istio.io/workload-name" | default .DeploymentMeta.Name | quote }}
    - name: ISTIO_META_OWNER
      value: {{ printf "kubernetes://apis/%s/namespaces/%s/%ss/%s" .TypeMeta.APIVersion (valueOrDefault .DeploymentMeta.Namespace "default") (toLower .TypeMeta.Kind) .DeploymentMeta.Name | quote }}
    - name: ISTIO_META_MESH_ID
      value: {{ .Values.global.meshID | default .MeshConfig.TrustDomain | default "cluster.local" | quote }}
    - name: TRUST_DOMAIN
      value: {{ .MeshConfig.TrustDomain | default .Values.global.trustDomain | default "cluster.local" | quote }}
    {{- range $key, $value := .ProxyConfig.ProxyMetadata }}
    - name: {{ $key }}
      value: {{ $value | quote }}
    {{- end }}
    - name: ISTIO_META_DNS_CAPTURE
      value: "false"
    - name: DISABLE_ENVOY
      value: "true"
    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
    readinessProbe:
      httpGet:
        path: /healthz/ready
        port: {{ $status }}
      initialDelaySeconds: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/initialDelaySeconds" .Values.global.proxy.readinessInitialDelaySeconds }}
      periodSeconds: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/periodSeconds" .Values.global.proxy.readinessPeriodSeconds }}
      timeoutSeconds: 3
      failureThreshold: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/failureThreshold" .Values.global.proxy.readinessFailureThreshold }}
    resources: {{ $res | toJson }}
    volumeMounts:
    - name: workload-socket
      mountPath: /var/run/secrets/workload-spiffe-uds
    - name: workload-certs
      mountPath: /var/run/secrets/workload-spiffe-credentials
    {{- if eq .Values.global.pilotCertProvider "istiod" }}
    - name: istiod-ca-cert
      mountPath: /var/run/secrets/istio
    {{- end }}
    - name: istio-data
      mountPath: /var/lib/istio/data
    - name: istio-xds
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
  {{- range .Spec.Containers }}
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
  - name: istio-xds
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
    configMap:
      name: {{ .Values.global.trustBundleName | default "istio-ca-root-cert" | quote }}
  {{- end }}
  {{- if .Values.global.mountMtlsCerts }}
  - name: istio-certs
    secret:
      optional: true
      secretName: {{ printf "istio.%s" (.Spec.ServiceAccountName | default "default") | quote }}
  {{- end }}
  {{- if .Values.global.imagePullSecrets }}
  imagePullSecrets:
  {{- range .Values.global.imagePullSecrets }}
  - name: {{ . | quote }}
  {{- end }}
  {{- end }}
`;
}
