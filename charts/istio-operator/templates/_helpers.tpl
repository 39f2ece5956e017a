{{/* Name of every object: istio-operator, or istio-operator-<revision>. */}}
{{- define "istio-operator.name" -}}
{{- if .Values.revision -}}istio-operator-{{ .Values.revision }}{{- else -}}istio-operator{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "istio-operator.labels" -}}
app.kubernetes.io/name: istio-operator
app.kubernetes.io/instance: {{ include "istio-operator.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- with .Values.revision }}
istio.io/rev: {{ . }}
{{- end }}
{{- end -}}

{{/* Pod selector. */}}
{{- define "istio-operator.selector" -}}
app.kubernetes.io/instance: {{ include "istio-operator.name" . }}
{{- end -}}
