/**
 * The agent's mounts (container at indent 4) and the pod volumes behind
 * them (indent 2): the sidecar and gateway templates write all of them
 * (`proxyMounts`, `proxyVolumes`), the grpc-agent template the pieces it
 * needs.
 */
import type { IstioRelease } from '../../releases/catalog.js';
import { has } from '../../releases/changes.js';

/**
 * Entries a pod annotation adds to a list, as a JSON map of name →
 * entry (`sidecar.istio.io/userVolume`, `…/userVolumeMount`), at `indent`,
 * each entry held in the template variable `v`.
 */
const fromAnnotation = (
  indent: string,
  annotation: string,
  v: string,
) => `${indent}{{- if isset $ann "${annotation}" }}
${indent}{{- range $name, ${v} := fromJSON (index $ann "${annotation}") }}
${indent}{{- $_ := set ${v} "name" $name }}
${indent}- {{ ${v} | mustToJson }}
${indent}{{- end }}
${indent}{{- end }}
`;

/** The root of trust's mount, and from `withCrl` the CRL's beside it, when istiod is the CA. */
export const caMount = (
  withCrl: boolean,
) => `    {{- if eq .Values.global.pilotCertProvider "istiod" }}
    - name: istiod-ca-cert
      mountPath: /var/run/secrets/istio
    ${
      withCrl
        ? `- name: istio-ca-crl
      mountPath: /var/run/secrets/istio/crl
    `
        : ''
    }{{- end }}
`;

/** The token, the mesh certificates (`values.global.mountMtlsCerts`) and the pod's labels and annotations. */
export const TOKEN_CERTS_PODINFO_MOUNTS = `    - name: istio-token
      mountPath: /var/run/secrets/tokens
    {{- if .Values.global.mountMtlsCerts }}
    - name: istio-certs
      mountPath: /etc/certs/
      readOnly: true
    {{- end }}
    - name: istio-podinfo
      mountPath: /etc/istio/pod
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
${caMount(withCrl)}    - name: istio-data
      mountPath: /var/lib/istio/data
    {{- if isset $ann "sidecar.istio.io/bootstrapOverride" }}
    - name: custom-bootstrap-volume
      mountPath: /etc/istio/custom-bootstrap
    {{- end }}
    - name: istio-envoy
      mountPath: /etc/istio/proxy
${TOKEN_CERTS_PODINFO_MOUNTS}${fromAnnotation('    ', 'sidecar.istio.io/userVolumeMount', '$m')}`;
}

/**
 * The agent's in-memory config volume `name` (Envoy's, or the gRPC
 * bootstrap), its data dir, the pod's labels and annotations, and the
 * projected token istiod accepts.
 */
export const agentVolumes = (name: string) => `  - name: ${name}
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
`;

/** The mesh certificates' Secret, when `values.global.mountMtlsCerts` asks for it. */
export const CERTS_VOLUME = `  {{- if .Values.global.mountMtlsCerts }}
  - name: istio-certs
    secret:
      optional: true
      secretName: {{ printf "istio.%s" (.Spec.ServiceAccountName | default "default") | quote }}
  {{- end }}
`;

/** `values.global.imagePullSecrets` on the pod. */
export const PULL_SECRETS = `  {{- if .Values.global.imagePullSecrets }}
  imagePullSecrets:
  {{- range .Values.global.imagePullSecrets }}
  - name: {{ . | quote }}
  {{- end }}
  {{- end }}
`;

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
${agentVolumes('istio-envoy')}  {{- if eq .Values.global.pilotCertProvider "istiod" }}
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
${CERTS_VOLUME}${fromAnnotation('  ', 'sidecar.istio.io/userVolume', '$v')}${PULL_SECRETS}`;
}
