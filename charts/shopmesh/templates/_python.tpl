{{/*
The settings, volumes and mounts of a Python service container, shared by its Deployment and its migrations
Job so both see the same configuration. Arguments: root, name, c (the resolved component).
The env names are the service's pydantic settings (SHOPMESH_<SERVICE>_<FIELD>), as shopmesh/mesh.py wires
them for the local mesh.
*/}}

{{- define "shopmesh.python.env" -}}
{{- $root := .root -}}{{- $name := .name -}}{{- $c := .c -}}
{{- $prefix := printf "SHOPMESH_%s_" (upper $name) -}}
{{- $settings := dict "SERVICE_NAME" $name "PORT" (toString $c.ports.grpc) "HEALTH_PORT" (toString $c.ports.health) "METRICS_PORT" (toString $c.ports.metrics) -}}
{{- if $root.Values.mesh.plaintext -}}
{{- $_ := set $settings "PLAINTEXT" "true" -}}
{{- else -}}
{{- $_ := set $settings "CERTS_DIR" "/var/run/secrets/shopmesh/tls" -}}
{{- end -}}
{{- $publicKeys := list -}}
{{- range $root.Values.secrets.userContext.publicKeys -}}
{{- $publicKeys = append $publicKeys (printf "/var/run/secrets/shopmesh/user-context/%s" .) -}}
{{- end -}}
{{- $_ := set $settings "USER_CONTEXT_PUBLIC_KEYS" (toJson $publicKeys) -}}
{{- range $peer, $suffix := $c.dependsOn -}}
{{- $_ := set $settings $suffix (printf "%s:%s" (include "shopmesh.componentName" (dict "root" $root "name" $peer)) (include "shopmesh.grpcPort" (dict "root" $root "name" $peer))) -}}
{{- end -}}
{{- range $c.mounts -}}
{{- if .env -}}
{{- $_ := set $settings .env (ternary (printf "%s/%s" .path (default "" .key)) .path (not (empty .key))) -}}
{{- end -}}
{{- end -}}
{{- if $c.sessionSecret -}}
{{- /* One key from a Secret shared by every replica: a replica must never create its own. */ -}}
{{- $_ := set $settings "SESSION_SECRET_FILE" "/var/run/secrets/shopmesh/session/session.key" -}}
{{- $_ := set $settings "CREATE_SESSION_SECRET" "false" -}}
{{- end -}}
{{- if and $c.accounts $c.accounts.existingSecret -}}
{{- $_ := set $settings "ACCOUNTS_FILE" "/var/run/secrets/shopmesh/accounts/accounts.yaml" -}}
{{- end -}}
{{- if $c.models -}}
{{- $_ := set $settings "MODELS_DIR" $root.Values.modelRepository.mountPath -}}
{{- end -}}
{{- if and $root.Values.artifacts.enabled $c.artifacts -}}
{{- range $suffix, $folder := $c.artifacts -}}
{{- $_ := set $settings $suffix (printf "%s/%s" $root.Values.artifacts.mountPath $folder) -}}
{{- end -}}
{{- range $key, $value := (default dict $c.artifactsEnv) -}}
{{- $_ := set $settings $key (toString $value) -}}
{{- end -}}
{{- end -}}
{{- range $suffix, $content := (default dict $c.configFiles) -}}
{{- $_ := set $settings $suffix (printf "/etc/shopmesh/config/%s" (include "shopmesh.configFileName" $suffix)) -}}
{{- end -}}
{{- if ne $root.Values.tracing.exporter "none" -}}
{{- $_ := set $settings "TRACING_EXPORTER" $root.Values.tracing.exporter -}}
{{- $_ := set $settings "OTLP_ENDPOINT" $root.Values.tracing.otlpEndpoint -}}
{{- $_ := set $settings "TRACE_SAMPLE_RATIO" (toString $root.Values.tracing.sampleRatio) -}}
{{- end -}}
{{- range $key, $value := $c.env -}}
{{- $_ := set $settings $key (toString $value) -}}
{{- end -}}
- name: SHOPMESH_HOME
  value: /var/lib/shopmesh
- name: PYTHONUNBUFFERED
  value: "1"
- name: PYTHONDONTWRITEBYTECODE
  value: "1"
{{- range $key := keys $settings | sortAlpha }}
- name: {{ printf "%s%s" $prefix $key }}
  value: {{ index $settings $key | quote }}
{{- end }}
{{- range $store := list "postgresql" "redis" }}
{{- range $suffix, $key := (index (default dict $c.datastores) $store) }}
- name: {{ printf "%s%s" $prefix $suffix }}
  valueFrom:
    secretKeyRef:
      name: {{ include "shopmesh.datastoreSecret" (dict "root" $root "store" $store) }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- with $c.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "shopmesh.python.volumes" -}}
{{- $root := .root -}}{{- $name := .name -}}{{- $c := .c -}}
- name: tmp
  emptyDir: {sizeLimit: {{ $c.scratchSizeLimit }}}
- name: state
  emptyDir: {sizeLimit: {{ $c.scratchSizeLimit }}}
{{- if not $root.Values.mesh.plaintext }}
{{ include "shopmesh.tlsVolume" (dict "root" $root "name" $name) }}
{{- end }}
- name: user-context
  secret:
    secretName: {{ include "shopmesh.secretName" (dict "root" $root "secret" "userContext") }}
    defaultMode: 0440
    items:
      {{- range $root.Values.secrets.userContext.publicKeys }}
      - {key: {{ . }}, path: {{ . }}}
      {{- end }}
{{- range $i, $m := $c.mounts }}
- name: {{ printf "mount-%d" $i }}
  secret:
    secretName: {{ include "shopmesh.secretName" (dict "root" $root "secret" $m.secret) }}
    defaultMode: 0440
    {{- if $m.key }}
    items:
      - {key: {{ $m.key }}, path: {{ $m.key }}}
    {{- end }}
{{- end }}
{{- if $c.sessionSecret }}
- name: session
  secret:
    secretName: {{ include "shopmesh.sessionSecretName" . }}
    defaultMode: 0440
    items:
      - {key: session.key, path: session.key}
{{- end }}
{{- if and $c.accounts $c.accounts.existingSecret }}
{{- /* The folder, not a subPath: kubelet swaps the files in place, and the console re-reads a changed file. */}}
- name: accounts
  secret:
    secretName: {{ $c.accounts.existingSecret }}
    defaultMode: 0440
    items:
      - {key: accounts.yaml, path: accounts.yaml}
{{- end }}
{{- if $c.models }}
{{ include "shopmesh.models.volume" $root }}
{{- end }}
{{- if and $root.Values.artifacts.enabled $c.artifacts }}
{{ include "shopmesh.artifacts.volume" $root }}
{{- end }}
{{- with $c.configFiles }}
- name: config
  configMap:
    name: {{ include "shopmesh.componentName" (dict "root" $root "name" (printf "%s-config" $name)) }}
{{- end }}
{{- end -}}

{{- define "shopmesh.python.volumeMounts" -}}
{{- $root := .root -}}{{- $c := .c -}}
- {name: tmp, mountPath: /tmp}
- {name: state, mountPath: /var/lib/shopmesh}
{{- if not $root.Values.mesh.plaintext }}
- {name: mesh-tls, mountPath: /var/run/secrets/shopmesh/tls, readOnly: true}
{{- end }}
- {name: user-context, mountPath: /var/run/secrets/shopmesh/user-context, readOnly: true}
{{- range $i, $m := $c.mounts }}
- {name: {{ printf "mount-%d" $i }}, mountPath: {{ $m.path }}, readOnly: true}
{{- end }}
{{- if $c.sessionSecret }}
- {name: session, mountPath: /var/run/secrets/shopmesh/session, readOnly: true}
{{- end }}
{{- if and $c.accounts $c.accounts.existingSecret }}
- {name: accounts, mountPath: /var/run/secrets/shopmesh/accounts, readOnly: true}
{{- end }}
{{- if $c.models }}
{{ include "shopmesh.models.mount" (dict "root" $root "writable" false) }}
{{- end }}
{{- if and $root.Values.artifacts.enabled $c.artifacts }}
- {name: artifacts, mountPath: {{ $root.Values.artifacts.mountPath }}, readOnly: true}
{{- end }}
{{- with $c.configFiles }}
- {name: config, mountPath: /etc/shopmesh/config, readOnly: true}
{{- end }}
{{- end -}}

{{/* File name of a configFiles entry: RULES_FILE -> rules-file.yaml. */}}
{{- define "shopmesh.configFileName" -}}
{{- printf "%s.yaml" (. | lower | replace "_" "-") -}}
{{- end -}}

{{/* A component's configFiles as a ConfigMap: root, name, c. */}}
{{- define "shopmesh.configMap" -}}
{{- $job := dict "root" .root "name" (printf "%s-config" .name) -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "shopmesh.componentName" $job }}
  labels: {{- include "shopmesh.labels" (dict "root" .root "name" .name) | nindent 4 }}
data:
  {{- range $suffix, $content := .c.configFiles }}
  {{ include "shopmesh.configFileName" $suffix }}: {{ $content | quote }}
  {{- end }}
{{- end -}}

{{/* The shared artifacts volume (artifacts.enabled). */}}
{{- define "shopmesh.artifacts.volume" -}}
- name: artifacts
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-artifacts" (include "shopmesh.fullname" .)) .Values.artifacts.existingClaim }}
{{- end -}}

{{/* The model repository volume, and the init container that fills it from the models image. */}}
{{- define "shopmesh.models.volume" -}}
{{- if eq .Values.modelRepository.source "volume" }}
- name: models
  persistentVolumeClaim:
    claimName: {{ required "modelRepository.volume.claimName is required when modelRepository.source is volume" .Values.modelRepository.volume.claimName }}
    readOnly: true
{{- else }}
- name: models
  emptyDir: {sizeLimit: 4Gi}
{{- end }}
{{- end -}}

{{/* The mount of the model repository: root, writable (honoured for the pod-private copy only). */}}
{{- define "shopmesh.models.mount" -}}
{{- $m := .root.Values.modelRepository -}}
- name: models
  mountPath: {{ $m.mountPath }}
  readOnly: {{ not (and .writable (eq $m.source "image")) }}
  {{- if and (eq $m.source "volume") $m.volume.subPath }}
  subPath: {{ $m.volume.subPath }}
  {{- end }}
{{- end -}}

{{/* Arguments: root, c. Copies the repository out of the models image (source: image); nothing otherwise. */}}
{{- define "shopmesh.models.init" -}}
{{- if eq .root.Values.modelRepository.source "image" }}
initContainers:
  - name: models
    image: {{ include "shopmesh.modelsImage" .root }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    # -R without -a: the pod's user may not own the image's files, and preserving ownership would fail.
    command: [cp, -R, /models/., /mnt/models/]
    securityContext: {{- toYaml .root.Values.default.securityContext | nindent 6 }}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {memory: 256Mi}
    volumeMounts:
      - {name: models, mountPath: /mnt/models}
{{- end }}
{{- end -}}

{{/* Native gRPC probe on the plaintext health port: port, p (probe settings). */}}
{{- define "shopmesh.grpcProbe" -}}
grpc:
  port: {{ .port }}
  {{- with .p.service }}
  service: {{ . | quote }}
  {{- end }}
periodSeconds: {{ .p.periodSeconds }}
failureThreshold: {{ .p.failureThreshold }}
timeoutSeconds: {{ .p.timeoutSeconds }}
{{- end -}}
