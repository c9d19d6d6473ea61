{{/* Names and labels shared by every template (Helm's conventions). */}}

{{- define "plimsoll.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's prefix: the release name, plus the chart name unless the release name has it. */}}
{{- define "plimsoll.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-operator": Deployment, ServiceAccount, ClusterRole(Binding), PDB, Lease. */}}
{{- define "plimsoll.operator.fullname" -}}
{{- printf "%s-operator" (include "plimsoll.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "plimsoll.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "plimsoll.operator.fullname" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- required "operator.serviceAccount.name is required when operator.serviceAccount.create is false" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "plimsoll.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries besides its selector labels (name, instance, component). */}}
{{- define "plimsoll.commonLabels" -}}
helm.sh/chart: {{ include "plimsoll.chart" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: plimsoll
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "plimsoll.operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plimsoll.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "plimsoll.operator.labels" -}}
{{ include "plimsoll.commonLabels" . }}
{{ include "plimsoll.operator.selectorLabels" . }}
{{- end }}

{{- define "plimsoll.matcher.selectorLabels" -}}
app.kubernetes.io/name: {{ .Values.matcher.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: matcher
{{- end }}

{{- define "plimsoll.matcher.labels" -}}
{{ include "plimsoll.commonLabels" . }}
{{ include "plimsoll.matcher.selectorLabels" . }}
{{- end }}

{{/* Labels of objects that belong to neither component (monitoring, the example policy). */}}
{{- define "plimsoll.labels" -}}
{{ include "plimsoll.commonLabels" . }}
app.kubernetes.io/name: {{ include "plimsoll.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* image reference: repository@digest, else repository:tag (default the appVersion). */}}
{{- define "plimsoll.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (default .appVersion .image.tag) }}
{{- end }}
{{- end }}

{{- define "plimsoll.matcher.secretName" -}}
{{- if .Values.matcher.existingSecret }}
{{- .Values.matcher.existingSecret }}
{{- else }}
{{- printf "%s-connections" .Values.matcher.name }}
{{- end }}
{{- end }}
