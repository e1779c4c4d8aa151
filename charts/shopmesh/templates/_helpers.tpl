{{/* Names, labels, and the merge of `default` with one component's block. */}}

{{- define "shopmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-<chart>`, or the release name alone when it already contains the chart name. */}}
{{- define "shopmesh.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's resources: root, name. */}}
{{- define "shopmesh.componentName" -}}
{{- printf "%s-%s" (include "shopmesh.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels a selector matches: root, name. */}}
{{- define "shopmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "shopmesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Every label of a resource: root, name. */}}
{{- define "shopmesh.labels" -}}
{{ include "shopmesh.selectorLabels" . }}
app.kubernetes.io/part-of: shopmesh
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
Deep-merges .src into .dst in place. Sprig's merge/mergeOverwrite skip "empty" values, so a component could
not turn a default `true` off; this assigns whatever the component says, recursing only where both are maps.
*/}}
{{- define "shopmesh.mergeInto" -}}
{{- $dst := .dst -}}
{{- range $key, $value := .src -}}
{{- $current := get $dst $key -}}
{{- if and (kindIs "map" $value) (kindIs "map" $current) -}}
{{- include "shopmesh.mergeInto" (dict "dst" $current "src" $value) -}}
{{- else if kindIs "map" $value -}}
{{- $_ := set $dst $key (deepCopy $value) -}}
{{- else -}}
{{- $_ := set $dst $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's effective settings (default merged with its block) as YAML: root, name. */}}
{{- define "shopmesh.resolve" -}}
{{- $c := deepCopy .root.Values.default -}}
{{- $_ := include "shopmesh.mergeInto" (dict "dst" $c "src" (index .root.Values.components .name)) -}}
{{- toYaml $c -}}
{{- end -}}

{{/* The image of a shopmesh component: root, name. */}}
{{- define "shopmesh.image" -}}
{{- $img := .root.Values.image -}}
{{- $repo := printf "%s/%s" $img.repositoryPrefix .name -}}
{{- if $img.registry -}}{{- $repo = printf "%s/%s" $img.registry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{/* The models image (modelRepository.source: image). */}}
{{- define "shopmesh.modelsImage" -}}
{{- $m := .Values.modelRepository.image -}}
{{- $repo := $m.repository -}}
{{- if not $repo -}}
{{- $repo = printf "%s/models" .Values.image.repositoryPrefix -}}
{{- if .Values.image.registry -}}{{- $repo = printf "%s/%s" .Values.image.registry $repo -}}{{- end -}}
{{- end -}}
{{- printf "%s:%s" $repo (default (default .Chart.AppVersion .Values.image.tag) $m.tag) -}}
{{- end -}}

{{/* Names of the Secrets the chart reads: root, secret (userContext | vaultKeys | jwt). */}}
{{- define "shopmesh.secretName" -}}
{{- $defaults := dict "userContext" "user-context" "vaultKeys" "vault-keys" "jwt" "jwt" -}}
{{- $configured := index .root.Values.secrets .secret -}}
{{- default (printf "%s-%s" (include "shopmesh.fullname" .root) (index $defaults .secret)) $configured.existingSecret -}}
{{- end -}}

{{/* Secret with a component's session-signing key (`sessionSecret`, the console): root, name, c. */}}
{{- define "shopmesh.sessionSecretName" -}}
{{- default (include "shopmesh.componentName" (dict "root" .root "name" (printf "%s-session" .name))) .c.sessionSecret.existingSecret -}}
{{- end -}}

{{/* Secret of a datastore's DSNs/URLs: root, store (postgresql | redis). */}}
{{- define "shopmesh.datastoreSecret" -}}
{{- $cfg := index .root.Values .store -}}
{{- default (printf "%s-%s" (include "shopmesh.fullname" .root) .store) $cfg.existingSecret -}}
{{- end -}}

{{/* Secret holding a component's certificate: root, name. */}}
{{- define "shopmesh.tlsSecret" -}}
{{- if .root.Values.tls.certManager.enabled -}}
{{- printf "%s-tls" (include "shopmesh.componentName" .) -}}
{{- else -}}
{{- default (printf "%s-mesh-tls" (include "shopmesh.fullname" .root)) .root.Values.tls.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* The volume of a component's mTLS files in the `shopmesh certs` layout: root, name. */}}
{{- define "shopmesh.tlsVolume" -}}
- name: mesh-tls
  secret:
    secretName: {{ include "shopmesh.tlsSecret" . }}
    defaultMode: 0440
    items:
      {{- if .root.Values.tls.certManager.enabled }}
      - {key: ca.crt, path: ca.pem}
      - {key: tls.crt, path: {{ printf "%s.pem" .name }}}
      - {key: tls.key, path: {{ printf "%s.key" .name }}}
      {{- else }}
      - {key: ca.pem, path: ca.pem}
      - {key: {{ printf "%s.pem" .name }}, path: {{ printf "%s.pem" .name }}}
      - {key: {{ printf "%s.key" .name }}, path: {{ printf "%s.key" .name }}}
      {{- end }}
{{- end -}}

{{/* Effective gRPC port of a component (its own or the default): root, name. */}}
{{- define "shopmesh.grpcPort" -}}
{{- $comp := index .root.Values.components .name -}}
{{- $ports := default dict $comp.ports -}}
{{- default .root.Values.default.ports.grpc $ports.grpc -}}
{{- end -}}

{{/* Components (enabled) whose dependsOn names .name, sorted: root, name. Output: YAML list. */}}
{{- define "shopmesh.callers" -}}
{{- $callers := list -}}
{{- range $caller, $comp := .root.Values.components -}}
{{- if and $comp.enabled (hasKey (default dict $comp.dependsOn) $.name) -}}
{{- $callers = append $callers $caller -}}
{{- end -}}
{{- end -}}
{{- toYaml (sortAlpha $callers) -}}
{{- end -}}

{{/* Keys components ask for in a datastore's Secret, sorted and unique: root, store. Output: YAML list. */}}
{{- define "shopmesh.datastoreKeys" -}}
{{- $keys := list -}}
{{- range $name, $comp := .root.Values.components -}}
{{- if $comp.enabled -}}
{{- range $suffix, $key := (index (default dict $comp.datastores) $.store) -}}
{{- $keys = append $keys $key -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml (sortAlpha (uniq $keys)) -}}
{{- end -}}
