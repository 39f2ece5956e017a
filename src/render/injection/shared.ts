/**
 * Pieces shared by the injection templates. The templates are Go
 * text/template sources that istiod's injector executes against a pod (see
 * docs/rendering.md); each piece here is a fragment of such a source. The
 * agent's env is in proxy-env.ts, its mounts and the pod's volumes in
 * volumes.ts: each template composes the pieces it needs, so a block that
 * two templates share is written once.
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

/** The readiness probe on the agent's health port `port`, tuned by annotations. */
export const readinessProbe = (port: string) => `    readinessProbe:
      httpGet:
        path: /healthz/ready
        port: ${port}
      initialDelaySeconds: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/initialDelaySeconds" .Values.global.proxy.readinessInitialDelaySeconds }}
      periodSeconds: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/periodSeconds" .Values.global.proxy.readinessPeriodSeconds }}
      timeoutSeconds: 3
      failureThreshold: {{ annotation .ObjectMeta "readiness.status.sidecar.istio.io/failureThreshold" .Values.global.proxy.readinessFailureThreshold }}
`;

/**
 * The agent's arguments up to the options of one template: `proxy
 * <mode>` (`sidecar`, or `router` for a gateway), the cluster domain, log
 * levels (each overridable by an annotation), the STS port, JSON logs.
 */
export const proxyArgs = (mode: 'sidecar' | 'router') => `    args:
    - proxy
    - ${mode}
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
`;
