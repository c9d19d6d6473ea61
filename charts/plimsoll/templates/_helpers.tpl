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

{{/*
The namespaces the operator watches, as JSON (`include ... | fromJsonArray`): operator.watchNamespaces
with the deprecated operator.watchNamespace in front, each once. Empty: every namespace.
*/}}
{{- define "plimsoll.operator.watchNamespaces" -}}
{{- $list := .Values.operator.watchNamespaces | default list }}
{{- with .Values.operator.watchNamespace }}
{{- $list = prepend (without $list .) . }}
{{- end }}
{{- toJson $list }}
{{- end }}

{{/* The Lease the operator's replicas elect a leader with, and its namespace (as the operator
defaults it: beside the first watched namespace's policies, else the operator's own namespace). */}}
{{- define "plimsoll.operator.leaseName" -}}
{{- default (include "plimsoll.operator.fullname" .) .Values.operator.leaderElection.leaseName }}
{{- end }}

{{- define "plimsoll.operator.leaseNamespace" -}}
{{- $watched := include "plimsoll.operator.watchNamespaces" . | fromJsonArray }}
{{- .Values.operator.leaderElection.leaseNamespace | default (first $watched) | default .Release.Namespace }}
{{- end }}

{{/*
The operator's rules, except the Lease's (a Role of its own, limited by name): exactly the verbs
the operator uses, the same as manifests/rbac/operator-clusterrole.yaml (each explained there;
test/packaging checks both stay equal). A ClusterRole when the operator watches every
namespace, a Role in each watched namespace otherwise.
*/}}
{{- define "plimsoll.operator.rules" -}}
# Informers over every ScalingPolicy; status through the status subresource only (SSA).
- apiGroups: ["plimsoll.dev"]
  resources: ["scalingpolicies"]
  verbs: ["list", "watch"]
- apiGroups: ["plimsoll.dev"]
  resources: ["scalingpolicies/status"]
  verbs: ["patch"]
# Its finalizer (metadata.finalizers only): deletion restores Full service first.
- apiGroups: ["plimsoll.dev"]
  resources: ["scalingpolicies"]
  verbs: ["patch"]
# The scale target, watched; replicas moved only through the scale subresource.
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["list", "watch"]
- apiGroups: ["apps"]
  resources: ["deployments/scale"]
  verbs: ["update"]
# The runtime document ConfigMaps (server-side apply creates, then patches; watched for drift).
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["list", "watch", "create", "patch"]
# Events that explain every decision.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create"]
# The health signal's endpoints: the target's ready replicas.
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["list", "watch"]
# The connection budget over every pod of the target, terminating ones included.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list"]
# PgBouncer admin credentials from the Secret a policy names (get only, never list).
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# Conflict detection: HPAs and KEDA ScaledObjects on the same target.
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["list", "watch"]
- apiGroups: ["keda.sh"]
  resources: ["scaledobjects"]
  verbs: ["list", "watch"]
{{- end }}

{{/*
The Prometheus servers registered with the operator, as JSON (`include ... | fromJsonArray`):
operator.signalSources.prometheus, then examplePolicy.prometheusAddress as "example-policy" (the
default when none is) when the example is enabled and its address is not registered yet, so
enabling the example needs no second setting. Each {name, address, default}, plus for the
NetworkPolicy its networkPeers and the value that sets them (peersValue).
*/}}
{{- define "plimsoll.operator.prometheusSources" -}}
{{- $prometheus := list }}
{{- range $i, $s := .Values.operator.signalSources.prometheus }}
{{- $prometheus = append $prometheus (dict "name" $s.name "address" $s.address "default" ($s.default | default false) "networkPeers" ($s.networkPeers | default list) "peersValue" (printf "operator.signalSources.prometheus[%d].networkPeers or networkPolicy.prometheus.peers" $i)) }}
{{- end }}
{{- if .Values.examplePolicy.enabled }}
{{- $address := .Values.examplePolicy.prometheusAddress }}
{{- $known := false }}
{{- $hasDefault := false }}
{{- range $prometheus }}
{{- if eq (trimSuffix "/" .address) (trimSuffix "/" $address) }}{{- $known = true }}{{- end }}
{{- if .default }}{{- $hasDefault = true }}{{- end }}
{{- end }}
{{- if not $known }}
{{- $prometheus = append $prometheus (dict "name" "example-policy" "address" $address "default" (not $hasDefault) "networkPeers" list "peersValue" "networkPolicy.prometheus.peers (or register examplePolicy.prometheusAddress in operator.signalSources.prometheus with networkPeers)") }}
{{- end }}
{{- end }}
{{- toJson $prometheus }}
{{- end }}
