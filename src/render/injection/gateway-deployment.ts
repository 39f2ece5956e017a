/**
 * The `kube-gateway`, `waypoint` and agentgateway templates. Unlike the pod
 * templates these are not overlays: istiod's Gateway API deployment
 * controller executes them once per Gateway of an Istio-managed class
 * (`istio` → kube-gateway; `istio-waypoint`, and `istio-east-west` →
 * waypoint; `istio-agentgateway` → agentgateway;
 * `istio-agentgateway-waypoint` → agentgateway-waypoint) and
 * server-side applies every document they yield. Without them istiod
 * cannot deploy Gateway API gateways or ambient waypoints.
 *
 * The data is the controller's template input: the Gateway itself (`.Name`,
 * `.Namespace`, `.UID`, `.Spec`, `.ObjectMeta`), `.DeploymentName`,
 * `.ServiceAccount`, `.Ports` (Service ports from the listeners),
 * `.ServiceType`, `.ClusterID`, `.KubeVersion` (e.g. 134), `.Revision`,
 * `.ProxyUID`/`.ProxyGID`, `.InfrastructureLabels`/`.InfrastructureAnnotations`
 * (spec.infrastructure, else the Gateway's own), `.GatewayNameLabel`,
 * `.ControllerLabel`, plus `.ProxyImage`, `.ProxyConfig`, `.MeshConfig` and
 * `.Values` as for pods. HPA and PDB documents are kept only when a
 * parameters ConfigMap overlays them.
 *
 * Sub-objects are written as one line of JSON (valid YAML), built with the
 * template functions `toJsonMap`, `strdict`, `dict` and `toJson`.
 * Verified against Istio's own templates through istiod's controller by
 * test/conformance/gateway-templates.test.ts (1.27; the later lines'
 * kube-inject cannot execute these templates, see scripts/injection-verify.ts).
 *
 * From 1.28 every object carries the GatewayClass label
 * (`.GatewayClass`); from 1.29 the owner is a gateway.networking.k8s.io/v1
 * Gateway and the resource env vars carry `divisor: "1"`; from 1.29 there
 * is a third template, `agentgateway`; from 1.31 a fourth,
 * `agentgateway-waypoint`, the workload socket is a bare `emptyDir:` and
 * kube-gateway's Service ports carry the controller's protocol.
 */
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';
import { resourceRef } from './shared.js';

/**
 * Variables every template starts with: metadata shared by every document
 * they yield. `$gwLabel` selects the gateway's pods (PDB); `LABELS` names
 * the variable with the labels every object carries.
 */
function prelude(release: IstioRelease): string {
  const owner = has(release, 'gatewayOwnerV1')
    ? 'gateway.networking.k8s.io/v1'
    : 'gateway.networking.k8s.io/v1beta1';
  const classLabel = has(release, 'gatewayClassNameLabel')
    ? `{{- $gwLabels := strdict "gateway.networking.k8s.io/gateway-name" .Name "gateway.networking.k8s.io/gateway-class-name" .GatewayClass }}\n`
    : '';
  return `{{- $meta := omit .InfrastructureAnnotations "kubectl.kubernetes.io/last-applied-configuration" "gateway.istio.io/name-override" "gateway.istio.io/service-account" "gateway.istio.io/controller-version" }}
{{- $gwLabel := strdict "gateway.networking.k8s.io/gateway-name" .Name }}
${classLabel}{{- $owner := list (dict "apiVersion" "${owner}" "kind" "Gateway" "name" .Name "uid" .UID) | toJson }}
{{- $select := strdict .GatewayNameLabel .Name }}
{{- $image := .ProxyImage }}
{{- if contains "/" (annotation .ObjectMeta "sidecar.istio.io/proxyImage" .Values.global.proxy.image) }}
  {{- $image = annotation .ObjectMeta "sidecar.istio.io/proxyImage" .Values.global.proxy.image }}
{{- end }}
{{- $caAddr := .Values.global.caAddress | default (printf "istiod%s.%s.svc:15012" (ternary (printf "-%s" .Values.revision) "" (ne (.Values.revision | default "") "")) .Values.global.istioNamespace) }}
{{- $trust := valueOrDefault .MeshConfig.TrustDomain .Values.global.trustDomain }}
`;
}

/** The variable holding the gateway labels of every object: 1.28 adds the class. */
const labels = (release: IstioRelease) =>
  has(release, 'gatewayClassNameLabel') ? '$gwLabels' : '$gwLabel';

/**
 * The name (template expression `name`), namespace, annotations and labels
 * (the infrastructure labels, then `labels`) of an object the template
 * yields, under `metadata:`.
 */
const meta = (name: string, annotations: string, labels: string) => `  name: {{ ${name} | quote }}
  namespace: {{ .Namespace | quote }}
  annotations: {{ ${annotations} }}
  labels: {{ toJsonMap .InfrastructureLabels ${labels} }}
`;

/** `metadata` of a per-Gateway object the Gateway owns (named `.DeploymentName`). */
const ownedMeta = (annotations: string, labels: string) => `metadata:
${meta('.DeploymentName', annotations, labels)}  ownerReferences: {{ $owner }}
`;

/**
 * The ServiceAccount the gateway's pods run as; owned by the Gateway where
 * Kubernetes allows it (1.28+), or always (agentgateway).
 */
function serviceAccount(release: IstioRelease, alwaysOwned = false): string {
  const owner = alwaysOwned
    ? `  ownerReferences: {{ $owner }}
`
    : `  {{- if ge .KubeVersion 128 }}
  ownerReferences: {{ $owner }}
  {{- end }}
`;
  return `apiVersion: v1
kind: ServiceAccount
metadata:
${meta('.ServiceAccount', 'toJsonMap $meta', labels(release))}${owner}`;
}

/** Deployment metadata and pod template metadata; `podLabels` are the defaults infrastructure labels may override. */
function deploymentHead(release: IstioRelease, managed: string, podLabels: string): string {
  const gw = labels(release);
  return `apiVersion: apps/v1
kind: Deployment
${ownedMeta('toJsonMap $meta', `${gw} (strdict "gateway.istio.io/managed" ${managed})`)}spec:
  selector:
    matchLabels: {{ toJsonMap $select }}
  template:
    metadata:
      annotations: {{ toJsonMap $meta (strdict "istio.io/rev" (.Revision | default "default")) (strdict "prometheus.io/path" "/stats/prometheus" "prometheus.io/port" "15020" "prometheus.io/scrape" "true") }}
      labels: {{ toJsonMap (strdict ${podLabels} "service.istio.io/canonical-name" .DeploymentName "service.istio.io/canonical-revision" "latest") .InfrastructureLabels ${gw} (strdict "gateway.istio.io/managed" ${managed}) }}
    spec:
`;
}

/**
 * The pod's securityContext: `values.gateways.securityContext`, else
 * unprivileged low ports (sysctl) and `values.gateways.seccompProfile`.
 */
const POD_SECURITY = `      {{- $podSecurity := dict "sysctls" (list (dict "name" "net.ipv4.ip_unprivileged_port_start" "value" "0")) }}
      {{- with .Values.gateways.seccompProfile }}{{ $_ := set $podSecurity "seccompProfile" . }}{{ end }}
      securityContext: {{ .Values.gateways.securityContext | default $podSecurity | toJson }}
`;

/** Agent ports: merged metrics, status (readiness) and Envoy's own stats. */
const PORTS = `        ports:
        - {"name": "metrics", "containerPort": 15020, "protocol": "TCP"}
        - {"name": "status-port", "containerPort": 15021, "protocol": "TCP"}
        - {"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}
`;

/** The log-level flags, each overridable by a Gateway annotation. */
const LOG_ARGS = `        - --proxyLogLevel
        - {{ annotation .ObjectMeta "sidecar.istio.io/logLevel" .Values.global.proxy.logLevel | quote }}
        - --proxyComponentLogLevel
        - {{ annotation .ObjectMeta "sidecar.istio.io/componentLogLevel" .Values.global.proxy.componentLogLevel | quote }}
        - --log_output_level
        - {{ annotation .ObjectMeta "sidecar.istio.io/agentLogLevel" .Values.global.logging.level | quote }}
`;

/** Where the downward API gives each env variable the templates read from the pod. */
const FIELDS = {
  POD_NAME: 'metadata.name',
  POD_NAMESPACE: 'metadata.namespace',
  NAMESPACE: 'metadata.namespace',
  INSTANCE_IP: 'status.podIP',
  SERVICE_ACCOUNT: 'spec.serviceAccountName',
  HOST_IP: 'status.hostIP',
} as const;

/** Env entries (indent 8, flow style) read from the pod through the downward API, in this order. */
const fieldEnv = (...names: (keyof typeof FIELDS)[]) =>
  names
    .map((n) => `        - {name: ${n}, valueFrom: {fieldRef: {fieldPath: ${FIELDS[n]}}}}\n`)
    .join('');

/** Downward-API env of the agent, as for an injected proxy. */
const podEnv = (
  release: IstioRelease,
) => `        - {name: PILOT_CERT_PROVIDER, value: {{ .Values.global.pilotCertProvider | quote }}}
        - {name: CA_ADDR, value: {{ $caAddr | quote }}}
${fieldEnv('POD_NAME', 'POD_NAMESPACE', 'INSTANCE_IP', 'SERVICE_ACCOUNT', 'HOST_IP')}        - {name: ISTIO_CPU_LIMIT, valueFrom: ${resourceRef('limits.cpu', release)}}
        - {name: PROXY_CONFIG, value: {{ protoToJSON .ProxyConfig | quote }}}
`;

/**
 * The workload-socket volume: an empty dir, written from 1.31 as a bare
 * `emptyDir:` (null), which the API server stores as an empty dir.
 */
const workloadSocket = (release: IstioRelease) =>
  has(release, 'gatewaySocketBareEmptyDir')
    ? '{name: workload-socket, emptyDir: null}'
    : '{name: workload-socket, emptyDir: {}}';

/** Resources (the `with` value) as JSON; from 1.28 without nil entries. */
const resources = (release: IstioRelease) =>
  has(release, 'proxyResourcesOmitNil') ? '{{ toJson (omitNil .) }}' : '{{ toJson . }}';

const PROXY_METADATA = `        {{- range $k, $v := .ProxyConfig.ProxyMetadata }}
        - {name: {{ $k | quote }}, value: {{ $v | quote }}}
        {{- end }}
`;

const goLimits = (release: IstioRelease) =>
  `        - {name: GOMEMLIMIT, valueFrom: ${resourceRef('limits.memory', release)}}
        - {name: GOMAXPROCS, valueFrom: ${resourceRef('limits.cpu', release)}}
`;

/** Workload identity env: the Deployment as owner, mesh id and trust domain. */
const IDENTITY_ENV = `        - {name: ISTIO_META_WORKLOAD_NAME, value: {{ .DeploymentName | quote }}}
        - {name: ISTIO_META_OWNER, value: {{ printf "kubernetes://apis/apps/v1/namespaces/%s/deployments/%s" .Namespace .DeploymentName | quote }}}
        {{- with .Values.global.meshID | default $trust }}
        - {name: ISTIO_META_MESH_ID, value: {{ . | quote }}}
        {{- end }}
        {{- with $trust }}
        - {name: TRUST_DOMAIN, value: {{ . | quote }}}
        {{- end }}
`;

/** The Envoy agent's data, config, token and pod info mounts (after its certificate mounts). */
const AGENT_MOUNTS = `        - {name: istio-data, mountPath: /var/lib/istio/data}
        - {name: istio-envoy, mountPath: /etc/istio/proxy}
        - {name: istio-token, mountPath: /var/run/secrets/tokens}
        - {name: istio-podinfo, mountPath: /etc/istio/pod}
`;

/** Startup (fast, up to 30 s) and readiness probes on the agent's status port. */
const PROBES = `        startupProbe: {"httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}, "initialDelaySeconds": 1, "periodSeconds": 1, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 30}
        readinessProbe: {"httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}, "initialDelaySeconds": 0, "periodSeconds": 15, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 4}
`;

const DOWNWARD_API = `{"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}, {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}`;

const TOKEN = (audience: string) =>
  `{"sources": [{"serviceAccountToken": {"path": "istio-token", "expirationSeconds": 43200, "audience": ${audience}}}]}`;

/** The root-of-trust volume: a ClusterTrustBundle when istiod publishes one, else the root-cert ConfigMap. */
const CA_VOLUME = `      - name: istiod-ca-cert
        {{- if eq (toString (index .Values.pilot.env "ENABLE_CLUSTER_TRUST_BUNDLE_API")) "true" }}
        projected: {"sources": [{"clusterTrustBundle": {"name": {{ printf "istio.io:istiod-ca:%s" (.Values.global.trustBundleName | default "root-cert") | quote }}, "path": "root-cert.pem"}}]}
        {{- else }}
        configMap: {"name": {{ .Values.global.trustBundleName | default "istio-ca-root-cert" | quote }}}
        {{- end }}
`;

const PULL_SECRETS = `      {{- with .Values.global.imagePullSecrets }}
      imagePullSecrets:
      {{- range . }}
      - {name: {{ . | quote }}}
      {{- end }}
      {{- end }}
`;

/**
 * The Service in front of the gateway: one port per distinct listener port,
 * plus the status port. `protocol` is each port's: TCP, or from 1.31 for
 * kube-gateway the controller's (`.Protocol`, UDP for a QUIC port).
 */
function service(release: IstioRelease, annotations: string, protocol = '"TCP"'): string {
  return `apiVersion: v1
kind: Service
${ownedMeta(annotations, labels(release))}spec:
  type: {{ .ServiceType | quote }}
  ipFamilyPolicy: PreferDualStack
  selector: {{ toJsonMap $select }}
  ports:
  {{- range .Ports }}
  - {"name": {{ .Name | quote }}, "port": {{ .Port }}, "protocol": ${protocol}, "appProtocol": {{ toJson .AppProtocol }}}
  {{- end }}
  {{- if and .Spec.Addresses (eq .ServiceType "LoadBalancer") }}
  loadBalancerIP: {{ (index .Spec.Addresses 0).Value | quote }}
  {{- end }}
`;
}

/** HPA and PDB: the controller applies them only when a parameters ConfigMap overlays them. */
const scaling = (release: IstioRelease) => `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
${ownedMeta('toJsonMap $meta', labels(release))}spec:
  scaleTargetRef: {"apiVersion": "apps/v1", "kind": "Deployment", "name": {{ .DeploymentName | quote }}}
  maxReplicas: 1
---
apiVersion: policy/v1
kind: PodDisruptionBudget
${ownedMeta('toJsonMap $meta', labels(release))}spec:
  selector:
    matchLabels: {{ toJsonMap $gwLabel }}
`;

/**
 * `kube-gateway`: a Gateway API gateway of class `istio` — Envoy as a
 * router on unprivileged low ports (pod sysctl, unless
 * `values.gateways.securityContext` replaces it), the mesh proxy's
 * resources and lifecycle, a LoadBalancer Service by default.
 */
export function kubeGatewayTemplate(release: IstioRelease): string {
  return `${prelude(release)}${serviceAccount(release)}---
${deploymentHead(release, '"istio.io-gateway-controller"', '"sidecar.istio.io/inject" "false"')}${POD_SECURITY}      serviceAccountName: {{ .ServiceAccount | quote }}
      containers:
      - name: istio-proxy
        image: {{ $image | quote }}
        {{- with .Values.global.proxy.resources }}
        resources: ${resources(release)}
        {{- end }}
        {{- with .Values.global.imagePullPolicy }}
        imagePullPolicy: {{ . | quote }}
        {{- end }}
        securityContext: {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": false, "privileged": false, "readOnlyRootFilesystem": true, "runAsUser": {{ .ProxyUID | default 1337 }}, "runAsGroup": {{ .ProxyGID | default 1337 }}, "runAsNonRoot": true}
${PORTS}        args:
        - proxy
        - router
        - --domain
        - {{ printf "$(POD_NAMESPACE).svc.%s" .Values.global.proxy.clusterDomain | quote }}
${LOG_ARGS}        {{- with .Values.global.sts.servicePort }}
        - {{ printf "--stsPort=%v" . | quote }}
        {{- end }}
        {{- if .Values.global.logAsJson }}
        - --log_as_json
        {{- end }}
        {{- with .Values.global.proxy.lifecycle }}
        lifecycle: {{ toJson . }}
        {{- end }}
        env:
${podEnv(release)}        - {name: ISTIO_META_POD_PORTS, value: "[]"}
        - {name: ISTIO_META_APP_CONTAINERS, value: ""}
${goLimits(release)}        - {name: ISTIO_META_CLUSTER_ID, value: {{ valueOrDefault .Values.global.multiCluster.clusterName .ClusterID | quote }}}
        - {name: ISTIO_META_NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        - {name: ISTIO_META_INTERCEPTION_MODE, value: {{ .ProxyConfig.InterceptionMode.String | quote }}}
        {{- with valueOrDefault (index .InfrastructureLabels "topology.istio.io/network") .Values.global.network }}
        - {name: ISTIO_META_NETWORK, value: {{ . | quote }}}
        {{- end }}
${IDENTITY_ENV}${PROXY_METADATA}        {{- with index .InfrastructureLabels "topology.istio.io/network" }}
        - {name: ISTIO_META_REQUESTED_NETWORK_VIEW, value: {{ . | quote }}}
        {{- end }}
${PROBES}        volumeMounts:
        - {name: workload-socket, mountPath: /var/run/secrets/workload-spiffe-uds}
        - {name: credential-socket, mountPath: /var/run/secrets/credential-uds}
        {{- if eq .Values.global.caName "GkeWorkloadCertificate" }}
        - {name: gke-workload-certificate, mountPath: /var/run/secrets/workload-spiffe-credentials, readOnly: true}
        {{- else }}
        - {name: workload-certs, mountPath: /var/run/secrets/workload-spiffe-credentials}
        {{- end }}
        {{- if eq .Values.global.pilotCertProvider "istiod" }}
        - {name: istiod-ca-cert, mountPath: /var/run/secrets/istio}
        {{- end }}
${AGENT_MOUNTS}      volumes:
      - ${workloadSocket(release)}
      - {name: credential-socket, emptyDir: {}}
      {{- if eq .Values.global.caName "GkeWorkloadCertificate" }}
      - {name: gke-workload-certificate, csi: {driver: workloadcertificates.security.cloud.google.com}}
      {{- else }}
      - {name: workload-certs, emptyDir: {}}
      {{- end }}
      - {name: istio-envoy, emptyDir: {medium: Memory}}
      - {name: istio-data, emptyDir: {}}
      - name: istio-podinfo
        downwardAPI: ${DOWNWARD_API}
      - name: istio-token
        projected: ${TOKEN('{{ .Values.global.sds.token.aud | quote }}')}
      {{- if eq .Values.global.pilotCertProvider "istiod" }}
${CA_VOLUME}      {{- end }}
${PULL_SECRETS}---
${service(release, 'toJsonMap $meta', has(release, 'kubeGatewayPortProtocol') ? '{{ toJson .Protocol }}' : undefined)}---
${scaling(release)}`;
}

/**
 * `waypoint`: an ambient waypoint (class `istio-waypoint`, also the
 * east-west gateway class) — Envoy in waypoint mode, never itself captured
 * (`istio.io/dataplane-mode: none` unless the Gateway says otherwise),
 * scheduling and resources from `values.global.waypoint`, a ClusterIP
 * Service that prefers close endpoints.
 */
export function waypointTemplate(release: IstioRelease): string {
  // 1.28: the Kubernetes default grace period; an east-west gateway asks
  // for the view of its own network.
  const newer = has(release, 'waypointGraceDefault');
  const grace = newer ? '' : '      terminationGracePeriodSeconds: 2\n';
  const networkView = newer
    ? `        {{- if eq $.ControllerLabel "istio.io-eastwest-controller" }}
        - {name: ISTIO_META_REQUESTED_NETWORK_VIEW, value: {{ . | quote }}}
        {{- end }}
`
    : '';
  return `${prelude(release)}${serviceAccount(release)}---
${deploymentHead(release, '.ControllerLabel', '"sidecar.istio.io/inject" "false" "istio.io/dataplane-mode" "none"')}      {{- with .Values.global.waypoint.affinity }}
      affinity: {{ toJson . }}
      {{- end }}
      {{- with .Values.global.waypoint.topologySpreadConstraints }}
      topologySpreadConstraints: {{ toJson . }}
      {{- end }}
      {{- with .Values.global.waypoint.nodeSelector }}
      nodeSelector: {{ toJson . }}
      {{- end }}
      {{- with .Values.global.waypoint.tolerations }}
      tolerations: {{ toJson . }}
      {{- end }}
${grace}      serviceAccountName: {{ .ServiceAccount | quote }}
      containers:
      - name: istio-proxy
        image: {{ $image | quote }}
        {{- with .Values.global.imagePullPolicy }}
        imagePullPolicy: {{ . | quote }}
        {{- end }}
${PORTS}        args:
        - proxy
        - waypoint
        - --domain
        - {{ printf "$(POD_NAMESPACE).svc.%s" .Values.global.proxy.clusterDomain | quote }}
        - --serviceCluster
        - {{ printf "%s.$(POD_NAMESPACE)" .ServiceAccount | quote }}
${LOG_ARGS}        {{- if .Values.global.logAsJson }}
        - --log_as_json
        {{- end }}
        {{- with .Values.global.proxy.outlierLogPath }}
        - {{ printf "--outlierLogPath=%s" . | quote }}
        {{- end }}
        env:
        - {name: ISTIO_META_SERVICE_ACCOUNT, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
        - {name: ISTIO_META_NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
${podEnv(release)}${PROXY_METADATA}${goLimits(release)}        - {name: ISTIO_META_CLUSTER_ID, value: {{ valueOrDefault .Values.global.multiCluster.clusterName "Kubernetes" | quote }}}
        {{- with valueOrDefault (index .InfrastructureLabels "topology.istio.io/network") .Values.global.network }}
        - {name: ISTIO_META_NETWORK, value: {{ . | quote }}}
${networkView}        {{- end }}
        - {name: ISTIO_META_INTERCEPTION_MODE, value: REDIRECT}
${IDENTITY_ENV}        {{- with .Values.global.waypoint.resources }}
        resources: ${resources(release)}
        {{- end }}
${PROBES}        {{- $security := dict "privileged" false "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "runAsNonRoot" true "capabilities" (dict "drop" (list "ALL")) }}
        {{- if ne (.Values.global.platform | default "") "openshift" }}{{ $_ := set $security "runAsUser" 1337 }}{{ $_ := set $security "runAsGroup" 1337 }}{{ end }}
        {{- with .Values.gateways.seccompProfile }}{{ $_ := set $security "seccompProfile" . }}{{ end }}
        securityContext: {{ toJson $security }}
        volumeMounts:
        - {name: workload-socket, mountPath: /var/run/secrets/workload-spiffe-uds}
        - {name: istiod-ca-cert, mountPath: /var/run/secrets/istio}
${AGENT_MOUNTS}      volumes:
      - ${workloadSocket(release)}
      - {name: istio-envoy, emptyDir: {medium: Memory}}
      - {name: go-proxy-envoy, emptyDir: {medium: Memory}}
      - {name: istio-data, emptyDir: {}}
      - {name: go-proxy-data, emptyDir: {}}
      - name: istio-podinfo
        downwardAPI: ${DOWNWARD_API}
      - name: istio-token
        projected: ${TOKEN('"istio-ca"')}
${CA_VOLUME}${PULL_SECRETS}---
${service(release, 'toJsonMap (strdict "networking.istio.io/traffic-distribution" "PreferClose") $meta')}---
${scaling(release)}`;
}

/**
 * What differs between the two agentgateway templates: a Gateway (class
 * `istio-agentgateway`) or an ambient waypoint (class
 * `istio-agentgateway-waypoint`).
 */
interface AgentgatewayKind {
  /** The `gateway.istio.io/managed` label of the Deployment and its pods. */
  managed: string;
  /** The pod's default labels (infrastructure labels may override them). */
  podLabels: string;
  /** The pod's securityContext (lines at indent 6), or none. */
  podSecurity: string;
  /** Where the container's resources come from. */
  resources: string;
  /** Whether the container takes `values.global.proxy.lifecycle`. */
  lifecycle: boolean;
  /** Whether the container's securityContext takes `values.gateways.seccompProfile`. */
  seccomp: boolean;
}

const AGENTGATEWAY: AgentgatewayKind = {
  managed: '"istio.io-agentgateway-controller"',
  podLabels: '"sidecar.istio.io/inject" "false"',
  podSecurity: POD_SECURITY,
  resources: '.Values.global.proxy.resources',
  lifecycle: true,
  seccomp: false,
};

/**
 * A waypoint is never captured itself, sizes and secures like the Envoy
 * waypoint (values.global.waypoint.resources, values.gateways.seccompProfile
 * on the container) and binds no low ports (no pod securityContext).
 */
const AGENTGATEWAY_WAYPOINT: AgentgatewayKind = {
  managed: '"istio.io-agentgateway-waypoint-controller"',
  podLabels: '"sidecar.istio.io/inject" "false" "istio.io/dataplane-mode" "none"',
  podSecurity: '',
  resources: '.Values.global.waypoint.resources',
  lifecycle: false,
  seccomp: true,
};

/**
 * An agentgateway Deployment with its ServiceAccount, Service, HPA and PDB.
 * No Istio agent: the container is the proxy itself (image from the
 * Gateway's `gateway.istio.io/agentgatewayImage` annotation, else
 * `values.global.agentgateway.image` when it names a registry, else
 * istiod's own choice), configured by env only — the Gateway, cluster,
 * network, trust domain and istiod's xDS address — with a projected token
 * for xDS and istiod's root certificate. From 1.30 it also gets the CA's
 * address and the mesh token and root certificate at the paths an Istio
 * proxy uses.
 */
function agentgatewayObjects(release: IstioRelease, kind: AgentgatewayKind): string {
  const caClient = has(release, 'agentgatewayCaClient');
  // The token for xDS; from 1.30 named for its use, next to the mesh token.
  const xdsToken = caClient ? 'xds-token' : 'istio-token';
  const token = (name: string, path: string) => `      - name: ${name}
        projected: {"sources": [{"serviceAccountToken": {"path": "${path}", "expirationSeconds": 43200, "audience": {{ .Values.global.sds.token.aud | quote }}}}]}
`;
  const seccomp = kind.seccomp
    ? '{{ with .Values.gateways.seccompProfile }}, "seccompProfile": {{ toJson . }}{{ end }}'
    : '';
  const lifecycle = kind.lifecycle
    ? `        {{- with .Values.global.proxy.lifecycle }}
        lifecycle: {{ toJson . }}
        {{- end }}
`
    : '';
  return `${prelude(release)}{{- $agentImage := annotation .ObjectMeta "gateway.istio.io/agentgatewayImage" .Values.global.agentgateway.image }}
${serviceAccount(release, true)}---
${deploymentHead(release, kind.managed, kind.podLabels)}${kind.podSecurity}      serviceAccountName: {{ .ServiceAccount | quote }}
      containers:
      - name: agentgateway
        image: {{ if contains "/" $agentImage }}{{ $agentImage | quote }}{{ else }}{{ .AgentgatewayImage | quote }}{{ end }}
        {{- with ${kind.resources} }}
        resources: ${resources(release)}
        {{- end }}
        {{- with .Values.global.imagePullPolicy }}
        imagePullPolicy: {{ . | quote }}
        {{- end }}
        securityContext: {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": false, "privileged": false, "readOnlyRootFilesystem": true, "runAsUser": {{ .ProxyUID | default 10101 }}, "runAsGroup": {{ .ProxyGID | default 10101 }}, "runAsNonRoot": true${seccomp}}
        ports:
        - {"name": "metrics", "containerPort": 15020, "protocol": "TCP"}
        - {"name": "status-port", "containerPort": 15021, "protocol": "TCP"}
        args: ["--config", "{}"]
${lifecycle}        env:
${fieldEnv('POD_NAME', 'POD_NAMESPACE', 'NAMESPACE', 'INSTANCE_IP', 'SERVICE_ACCOUNT')}        - {name: CPU_LIMIT, valueFrom: ${resourceRef('limits.cpu', release)}}
        - {name: GATEWAY, value: {{ .Name | quote }}}
        - {name: RUST_BACKTRACE, value: "1"}
        - {name: CLUSTER_ID, value: {{ valueOrDefault .Values.global.multiCluster.clusterName .ClusterID | quote }}}
        {{- with valueOrDefault (index .InfrastructureLabels "topology.istio.io/network") .Values.global.network }}
        - {name: NETWORK, value: {{ . | quote }}}
        {{- end }}
        {{- with $trust }}
        - {name: TRUST_DOMAIN, value: {{ . | quote }}}
        {{- end }}
${PROXY_METADATA}        - {name: XDS_ADDRESS, value: {{ .ProxyConfig.DiscoveryAddress | quote }}}
${caClient ? '        - {name: CA_ADDRESS, value: {{ $caAddr | quote }}}\n' : ''}${PROBES}        volumeMounts:
        - {name: istiod-ca-cert, mountPath: /var/run/secrets/xds}
        - {name: ${xdsToken}, mountPath: /var/run/secrets/xds-tokens}
        - {name: tmp, mountPath: /tmp}
${
  caClient
    ? `        - {name: istiod-ca-cert, mountPath: /var/run/secrets/istio}
        - {name: istio-token, mountPath: /var/run/secrets/tokens}
`
    : ''
}      volumes:
      - {name: tmp, emptyDir: {}}
${token(xdsToken, 'xds-token')}${caClient ? token('istio-token', 'istio-token') : ''}      {{- if eq .Values.global.pilotCertProvider "istiod" }}
${CA_VOLUME}      {{- end }}
${PULL_SECRETS}---
${service(release, 'toJsonMap $meta')}---
${scaling(release)}`;
}

/**
 * `agentgateway` (1.29+): a Gateway of class `istio-agentgateway` run by
 * agentgateway instead of Envoy, on unprivileged low ports (pod sysctl,
 * unless `values.gateways.securityContext` replaces it), with the mesh
 * proxy's resources and lifecycle and a LoadBalancer Service by default.
 */
export function agentgatewayTemplate(release: IstioRelease): string {
  return agentgatewayObjects(release, AGENTGATEWAY);
}

/**
 * `agentgateway-waypoint` (1.31+): an ambient waypoint (class
 * `istio-agentgateway-waypoint`) run by agentgateway — the agentgateway
 * Deployment, never itself captured (`istio.io/dataplane-mode: none`
 * unless the Gateway says otherwise), sized by `values.global.waypoint`
 * resources, with `values.gateways.seccompProfile` on the container and a
 * ClusterIP Service by default.
 */
export function agentgatewayWaypointTemplate(release: IstioRelease): string {
  return agentgatewayObjects(release, AGENTGATEWAY_WAYPOINT);
}
