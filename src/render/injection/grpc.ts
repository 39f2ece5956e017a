import {
  CANONICAL_LABELS,
  COMMON_ANNOTATIONS,
  PRELUDE,
  PROXY_ENV,
  READINESS_PROBE,
  proxyMounts,
  proxyVolumes,
} from './shared.js';

/**
 * The `grpc-simple` template: proxyless gRPC without an agent. An init
 * container writes an xDS bootstrap file pointing at istiod's plain xDS
 * port; every app container gets `GRPC_XDS_BOOTSTRAP` and the file's volume.
 */
export const grpcSimpleTemplate = `metadata:
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
    - {{ printf "printf '{\\"xds_servers\\":[{\\"server_uri\\":\\"dns:///istiod%s.%s.svc:15010\\",\\"channel_creds\\":[{\\"type\\":\\"insecure\\"}],\\"server_features\\":[\\"xds_v3\\"]}],\\"node\\":{\\"id\\":\\"sidecar~'$INSTANCE_IP'~'$POD_NAME'.'$POD_NAMESPACE'~'$POD_NAMESPACE'.svc.%s\\",\\"metadata\\":{\\"GENERATOR\\":\\"grpc\\"}}}' > /var/lib/grpc/data/bootstrap.json" (ternary (printf "-%s" .Values.revision) "" (ne (.Values.revision | default "") "")) .Values.global.istioNamespace .Values.global.proxy.clusterDomain | quote }}
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
 * The `grpc-agent` template: proxyless gRPC with the Istio agent. The agent
 * (`istio-proxy`, no Envoy) serves certificates and an xDS proxy; app
 * containers read its bootstrap from `/etc/istio/proxy/grpc-bootstrap.json`.
 */
export const grpcAgentTemplate = `${PRELUDE}
metadata:
  labels:
${CANONICAL_LABELS}  annotations:
${COMMON_ANNOTATIONS}    sidecar.istio.io/rewriteAppHTTPProbers: "false"
spec:
  containers:
  {{- range .Spec.Containers }}
  {{- if ne .Name "istio-proxy" }}
  - name: {{ .Name | quote }}
    env:
    - name: GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT
      value: "true"
    - name: GRPC_XDS_BOOTSTRAP
      value: /etc/istio/proxy/grpc-bootstrap.json
    - name: GRPC_XDS_EXPERIMENTAL_RBAC
      value: "true"
    - name: GRPC_XDS_EXPERIMENTAL_V3_SUPPORT
      value: "true"
    volumeMounts:
    - mountPath: /var/lib/istio/data
      name: istio-data
    - mountPath: /etc/istio/proxy
      name: istio-xds
    - mountPath: /var/run/secrets/workload-spiffe-credentials
      name: workload-certs
      readOnly: true
  {{- end }}
  {{- end }}
  - name: istio-proxy
    image: {{ $image | quote }}
    ports:
    - containerPort: {{ .Values.global.proxy.statusPort }}
      protocol: TCP
      name: mesh-metrics
    args:
    - proxy
    - sidecar
    - --domain
    - {{ printf "$(POD_NAMESPACE).svc.%s" .Values.global.proxy.clusterDomain | quote }}
    - {{ printf "--log_output_level=%s" (annotation .ObjectMeta "sidecar.istio.io/agentLogLevel" .Values.global.logging.level) | quote }}
${PROXY_ENV}    - name: ISTIO_META_GENERATOR
      value: grpc
    - name: OUTPUT_CERTS
      value: /var/lib/istio/data
    - name: ISTIO_META_INTERCEPTION_MODE_OVERRIDE
      value: NONE
    {{- with .Values.global.imagePullPolicy }}
    imagePullPolicy: {{ . | quote }}
    {{- end }}
${READINESS_PROBE}    resources: {{ $res | toJson }}
    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop:
        - ALL
      privileged: false
      readOnlyRootFilesystem: true
      runAsGroup: {{ $proxyGID }}
      runAsNonRoot: true
      runAsUser: {{ $proxyUID }}
${proxyMounts(false)}    - name: istio-xds
      mountPath: /etc/istio/proxy
${proxyVolumes(false).replace(
  '  volumes:\n',
  '  volumes:\n  - name: istio-xds\n    emptyDir:\n      medium: Memory\n',
)}`;
