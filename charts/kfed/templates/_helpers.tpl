{{/*
The release's base name: "kfed" for a release named kfed (so objects get the names of
config/rbac/host/: kfed-controller-manager), the release name when it already says kfed,
else <release>-kfed.
*/}}
{{- define "kfed.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The controller manager's Deployment, ServiceAccount and RBAC objects. */}}
{{- define "kfed.controllerName" -}}
{{- include "kfed.fullname" . }}-controller-manager
{{- end -}}

{{- define "kfed.metricsServiceName" -}}
{{- include "kfed.fullname" . }}-controller-manager-metrics
{{- end -}}

{{- define "kfed.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kfed.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller-manager
{{- end -}}

{{/* The port of a Go-style listen address (":9090", "0.0.0.0:9090", "[::]:9090"). */}}
{{- define "kfed.port" -}}
{{- $addr := index . 0 -}}
{{- $what := index . 1 -}}
{{- if not (regexMatch "^(\\[[0-9a-fA-F:.]*\\]|[^:\\[\\]]*):[0-9]{1,5}$" (toString $addr)) -}}
{{- fail (printf "%s %q is not an address with a port, such as \":9090\"" $what (toString $addr)) -}}
{{- end -}}
{{- $port := regexFind "[0-9]+$" (toString $addr) | atoi -}}
{{- if or (lt $port 1) (gt $port 65535) -}}
{{- fail (printf "%s %q: port out of range" $what (toString $addr)) -}}
{{- end -}}
{{- $port -}}
{{- end -}}

{{/* A feature gate's configuration: Enabled/Disabled, also from KubeFed-style booleans. */}}
{{/*
A server's listen address. With hostNetwork, an address without a host (":8080") binds to the
Pod's IP (the node's, from the downward API as $(POD_IP)) rather than every address of the
node; "" (a server turned off) stays "".
*/}}
{{- define "kfed.bindAddr" -}}
{{- $addr := toString (index . 0) -}}
{{- if and (index . 1) (hasPrefix ":" $addr) -}}
{{- printf "$(POD_IP)%s" $addr -}}
{{- else -}}
{{- $addr -}}
{{- end -}}
{{- end -}}

{{- define "kfed.gate" -}}
{{- $v := index . 1 -}}
{{- if kindIs "bool" $v -}}
{{- ternary "Enabled" "Disabled" $v -}}
{{- else if has (toString $v) (list "Enabled" "Disabled") -}}
{{- $v -}}
{{- else -}}
{{- fail (printf "controllermanager.%s: %q is neither Enabled nor Disabled" (index . 0) (toString $v)) -}}
{{- end -}}
{{- end -}}

{{/*
Refuses values the chart must never render: --insecure-local serves plain HTTP and gRPC and is
for one machine only (docs/user-guide.md, "Who can see what").
*/}}
{{- define "kfed.validate" -}}
{{- if .Values.insecureLocal -}}
{{- fail "insecureLocal: the chart never runs kfed with --insecure-local (plain HTTP/gRPC, for one machine only); in a cluster kfed serves TLS: set tls.certSecret for your own certificate" -}}
{{- end -}}
{{- range .Values.controllermanager.controller.extraArgs -}}
{{- if regexMatch "^--?insecure-local" (toString .) -}}
{{- fail (printf "controllermanager.controller.extraArgs: %q is refused: the chart never runs kfed with --insecure-local (plain HTTP/gRPC, for one machine only)" (toString .)) -}}
{{- end -}}
{{- if regexMatch "^--?(kubefed-namespace|healthz-addr|metrics-addr|status-addr|tls-cert-file|tls-key-file|status-tls-cert-file|status-tls-key-file|cert-dir|leader-election-identity|v)(=|$)" (toString .) -}}
{{- fail (printf "controllermanager.controller.extraArgs: %q is set by the chart; use its value instead (README.md)" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if not (has .Values.global.scope (list "Cluster" "Namespaced")) -}}
{{- fail (printf "global.scope: %q is neither Cluster nor Namespaced" (toString .Values.global.scope)) -}}
{{- end -}}
{{- end -}}

{{- define "kfed.replicas" -}}
{{- $c := .Values.controllermanager.controller.replicaCount -}}
{{- if kindIs "invalid" $c -}}{{- .Values.controllermanager.replicaCount | int -}}{{- else -}}{{- $c | int -}}{{- end -}}
{{- end -}}

{{- define "kfed.image" -}}
{{- $i := .Values.controllermanager.controller.image -}}
{{- printf "%s:%s" $i.repository (default .Chart.AppVersion (toString $i.tag)) -}}
{{- end -}}

{{/*
KubeFedConfig kubefed's spec from the values, and its checksum: the KubeFedConfig carries it
in the annotation kfed.io/chart-checksum and the controller waits for it at start
(--kubefed-config-checksum), so a Pod never reads the settings of a previous release.
*/}}
{{- define "kfed.kubefedconfigSpec" -}}
{{- $m := .Values.controllermanager -}}
scope: {{ .Values.global.scope | quote }}
controllerDuration:
  availableDelay: {{ $m.clusterAvailableDelay | quote }}
  unavailableDelay: {{ $m.clusterUnavailableDelay | quote }}
  cacheSyncTimeout: {{ $m.cacheSyncTimeout | quote }}
leaderElect:
  leaseDuration: {{ $m.leaderElectLeaseDuration | quote }}
  renewDeadline: {{ $m.leaderElectRenewDeadline | quote }}
  retryPeriod: {{ $m.leaderElectRetryPeriod | quote }}
  resourceLock: {{ $m.leaderElectResourceLock | quote }}
clusterHealthCheck:
  period: {{ $m.clusterHealthCheckPeriod | quote }}
  failureThreshold: {{ $m.clusterHealthCheckFailureThreshold | int }}
  successThreshold: {{ $m.clusterHealthCheckSuccessThreshold | int }}
  timeout: {{ $m.clusterHealthCheckTimeout | quote }}
syncController:
  maxConcurrentReconciles: {{ $m.syncController.maxConcurrentReconciles | int }}
  adoptResources: {{ include "kfed.gate" (list "syncController.adoptResources" $m.syncController.adoptResources) | quote }}
statusController:
  maxConcurrentReconciles: {{ $m.statusController.maxConcurrentReconciles | int }}
featureGates:
{{- range $name, $value := $m.featureGates }}
- name: {{ $name }}
  configuration: {{ include "kfed.gate" (list (printf "featureGates.%s" $name) $value) | quote }}
{{- end }}
{{- end -}}

{{- define "kfed.kubefedconfigChecksum" -}}
{{- include "kfed.kubefedconfigSpec" . | sha256sum | trunc 16 -}}
{{- end -}}
