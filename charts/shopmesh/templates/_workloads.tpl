{{/* Per-component objects rendered by the loop in components.yaml. Arguments: root, name, c. */}}

{{- define "shopmesh.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
# No service calls the Kubernetes API, so no pod gets a token to call it with.
automountServiceAccountToken: false
{{- end -}}

{{- define "shopmesh.service" -}}
{{- $c := .c -}}
{{- $svc := $c.service -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
  {{- with $svc.annotations }}
  annotations: {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- if and (eq $c.kind "triton") (ne $c.protocol "grpc") }}
  {{- fail (printf "components.%s.protocol: Triton's main port is gRPC (its HTTP port is the health port)" .name) }}
  {{- end }}
  {{- if $svc.headless }}
  # Headless: DNS answers every ready pod, and the kit's dns:/// channels balance calls over them with
  # round_robin (a ClusterIP would pin each long-lived HTTP/2 connection to one pod).
  clusterIP: None
  {{- else }}
  type: {{ $svc.type }}
  {{- end }}
  selector: {{- include "shopmesh.selectorLabels" . | nindent 4 }}
  ports:
    {{- /* The main port (ports.grpc) speaks $c.protocol: grpc for the mesh services, http for the console. */}}
    - {name: {{ $c.protocol }}, port: {{ $c.ports.grpc }}, targetPort: {{ $c.protocol }}, protocol: TCP, appProtocol: {{ $c.protocol }}}
    {{- if eq $c.kind "triton" }}
    - {name: http, port: {{ $c.ports.health }}, targetPort: http, protocol: TCP, appProtocol: http}
    {{- else }}
    - {name: health, port: {{ $c.ports.health }}, targetPort: health, protocol: TCP, appProtocol: grpc}
    {{- end }}
    - {name: metrics, port: {{ $c.ports.metrics }}, targetPort: metrics, protocol: TCP, appProtocol: http}
{{- end -}}

{{- define "shopmesh.podMeta" -}}
{{- $c := .c -}}
labels:
  {{- include "shopmesh.labels" . | nindent 2 }}
  {{- with $c.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $configFiles := and (eq $c.kind "python") $c.configFiles }}
{{- if or .root.Values.metrics.podAnnotations $c.podAnnotations $configFiles }}
annotations:
  {{- if .root.Values.metrics.podAnnotations }}
  prometheus.io/scrape: "true"
  prometheus.io/port: {{ $c.ports.metrics | quote }}
  prometheus.io/path: /metrics
  {{- end }}
  {{- if $configFiles }}
  {{- /* The services read these files at start: a changed file rolls the Deployment. */}}
  checksum/config: {{ toJson $c.configFiles | sha256sum }}
  {{- end }}
  {{- with $c.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "shopmesh.scheduling" -}}
{{- $c := .c -}}
{{- $nodeSelector := deepCopy (default dict $c.nodeSelector) -}}
{{- $tolerations := default list $c.tolerations -}}
{{- if and (eq $c.kind "triton") $c.gpu.enabled -}}
{{- $nodeSelector = merge $nodeSelector (default dict $c.gpu.nodeSelector) -}}
{{- $tolerations = concat $tolerations (default list $c.gpu.tolerations) -}}
{{- end -}}
{{- with $nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $c.topologySpread }}
topologySpreadConstraints:
  {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: 1
    topologyKey: {{ $key }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels: {{- include "shopmesh.selectorLabels" $ | nindent 8 }}
    matchLabelKeys: [pod-template-hash]
  {{- end }}
{{- end }}
{{- end -}}

{{- define "shopmesh.pythonContainer" -}}
{{- $c := .c -}}
- name: {{ .name }}
  image: {{ include "shopmesh.image" . }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command: [python, -m, {{ required (printf "components.%s.module is required" .name) $c.module }}]
  ports:
    - {name: {{ $c.protocol }}, containerPort: {{ $c.ports.grpc }}, protocol: TCP}
    - {name: health, containerPort: {{ $c.ports.health }}, protocol: TCP}
    - {name: metrics, containerPort: {{ $c.ports.metrics }}, protocol: TCP}
  env: {{- include "shopmesh.python.env" . | nindent 4 }}
  {{- if $c.probes.startup.enabled }}
  startupProbe: {{- include "shopmesh.grpcProbe" (dict "port" $c.ports.health "p" $c.probes.startup) | nindent 4 }}
  {{- end }}
  readinessProbe: {{- include "shopmesh.grpcProbe" (dict "port" $c.ports.health "p" $c.probes.readiness) | nindent 4 }}
  livenessProbe: {{- include "shopmesh.grpcProbe" (dict "port" $c.ports.health "p" $c.probes.liveness) | nindent 4 }}
  resources: {{- toYaml $c.resources | nindent 4 }}
  securityContext: {{- toYaml $c.securityContext | nindent 4 }}
  volumeMounts: {{- include "shopmesh.python.volumeMounts" . | nindent 4 }}
{{- end -}}

{{- define "shopmesh.httpProbe" -}}
httpGet:
  path: {{ .path }}
  port: http
periodSeconds: {{ .p.periodSeconds }}
failureThreshold: {{ .p.failureThreshold }}
timeoutSeconds: {{ .p.timeoutSeconds }}
{{- end -}}

{{- define "shopmesh.tritonContainer" -}}
{{- $c := .c -}}
{{- $variant := ternary "triton-gpu" "triton-cpu" $c.gpu.enabled -}}
{{- $resources := deepCopy $c.resources -}}
{{- if $c.gpu.enabled -}}
{{- /* An extended resource must be equal in requests and limits. */ -}}
{{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" (toString (int $c.gpu.count))) (default dict $resources.limits)) -}}
{{- $_ := set $resources "requests" (merge (dict "nvidia.com/gpu" (toString (int $c.gpu.count))) (default dict $resources.requests)) -}}
{{- end -}}
- name: {{ .name }}
  image: {{ default (include "shopmesh.image" .) $c.image }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command: [tritonserver]
  args:
    - --model-repository={{ .root.Values.modelRepository.mountPath }}/{{ $variant }}
    - --grpc-port={{ $c.ports.grpc }}
    - --http-port={{ $c.ports.health }}
    - --metrics-port={{ $c.ports.metrics }}
    - --allow-gpu-metrics={{ $c.gpu.enabled }}
    # Ready only when every model is loaded, so the embedding service's readiness follows.
    - --strict-readiness=true
    {{- range $c.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  ports:
    - {name: grpc, containerPort: {{ $c.ports.grpc }}, protocol: TCP}
    - {name: http, containerPort: {{ $c.ports.health }}, protocol: TCP}
    - {name: metrics, containerPort: {{ $c.ports.metrics }}, protocol: TCP}
  env:
    # The Python backend's stub and TensorRT's engine cache write under HOME; the root FS is read-only.
    - {name: HOME, value: /tmp}
    {{- /* default.env holds shopmesh settings; Triton takes only its own block's variables, verbatim. */}}
    {{- range $key, $value := (index .root.Values.components .name).env }}
    - {name: {{ $key }}, value: {{ toString $value | quote }}}
    {{- end }}
    {{- with $c.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if $c.probes.startup.enabled }}
  startupProbe: {{- include "shopmesh.httpProbe" (dict "path" "/v2/health/ready" "p" $c.probes.startup) | nindent 4 }}
  {{- end }}
  readinessProbe: {{- include "shopmesh.httpProbe" (dict "path" "/v2/health/ready" "p" $c.probes.readiness) | nindent 4 }}
  livenessProbe: {{- include "shopmesh.httpProbe" (dict "path" "/v2/health/live" "p" $c.probes.liveness) | nindent 4 }}
  resources: {{- toYaml $resources | nindent 4 }}
  securityContext: {{- toYaml $c.securityContext | nindent 4 }}
  volumeMounts:
    - {name: tmp, mountPath: /tmp}
    - {name: dshm, mountPath: /dev/shm}
    {{- /* Writable when it is the pod's own copy: TensorRT writes its engine cache next to the model. */}}
    {{- include "shopmesh.models.mount" (dict "root" .root "writable" true) | nindent 4 }}
{{- end -}}

{{- define "shopmesh.deployment" -}}
{{- $c := .c -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels: {{- include "shopmesh.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    # New pods become ready before old ones go, so a rollout never lowers serving capacity.
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    metadata: {{- include "shopmesh.podMeta" . | nindent 6 }}
    spec:
      serviceAccountName: {{ include "shopmesh.componentName" . }}
      automountServiceAccountToken: false
      # Service links would inject e.g. SHOPMESH_VAULT_PORT=tcp://... into every pod of a release named
      # shopmesh, colliding with the services' own SHOPMESH_<SERVICE>_PORT settings.
      enableServiceLinks: false
      securityContext: {{- toYaml $c.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      {{- with $c.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with .root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- if $c.models }}
      {{- include "shopmesh.models.init" . | nindent 6 }}
      {{- end }}
      containers:
        {{- if eq $c.kind "triton" }}
        {{- include "shopmesh.tritonContainer" . | nindent 8 }}
        {{- else }}
        {{- include "shopmesh.pythonContainer" . | nindent 8 }}
        {{- end }}
      volumes:
        {{- if eq $c.kind "triton" }}
        - name: tmp
          emptyDir: {sizeLimit: {{ $c.scratchSizeLimit }}}
        - name: dshm
          emptyDir: {medium: Memory, sizeLimit: {{ $c.shmSize }}}
        {{- include "shopmesh.models.volume" .root | nindent 8 }}
        {{- else }}
        {{- include "shopmesh.python.volumes" . | nindent 8 }}
        {{- end }}
      {{- include "shopmesh.scheduling" . | nindent 6 }}
{{- end -}}

{{- define "shopmesh.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .c.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels: {{- include "shopmesh.selectorLabels" . | nindent 6 }}
{{- end -}}

{{- define "shopmesh.hpa" -}}
{{- $a := .c.autoscaling -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "shopmesh.componentName" . }}
  minReplicas: {{ $a.minReplicas }}
  maxReplicas: {{ $a.maxReplicas }}
  metrics:
    {{- if $a.metrics }}
    {{- toYaml $a.metrics | nindent 4 }}
    {{- else }}
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: {{ $a.targetCPUUtilizationPercentage }}}
    {{- end }}
  {{- with $a.behavior }}
  behavior: {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "shopmesh.serviceMonitor" -}}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
spec:
  selector:
    matchLabels: {{- include "shopmesh.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ .root.Values.metrics.serviceMonitor.interval }}
{{- end -}}

{{- define "shopmesh.certificate" -}}
{{- $full := include "shopmesh.componentName" . -}}
{{- $cm := .root.Values.tls.certManager -}}
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ $full }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
spec:
  secretName: {{ $full }}-tls
  commonName: {{ .name }}
  # The identity the vault authorises lives in the URI SAN; clients verify the server by its short name.
  uris: [{{ printf "spiffe://shopmesh/%s" .name }}]
  dnsNames:
    - {{ .name }}
    - {{ $full }}
    - {{ printf "%s.%s.svc" $full .root.Release.Namespace }}
  duration: {{ $cm.duration }}
  renewBefore: {{ $cm.renewBefore }}
  privateKey: {algorithm: ECDSA, size: 256, encoding: PKCS8, rotationPolicy: Always}
  usages: [digital signature, server auth, client auth]
  issuerRef: {{- toYaml $cm.issuerRef | nindent 4 }}
{{- end -}}

{{- define "shopmesh.migrationsJob" -}}
{{- $c := .c -}}
{{- $job := dict "root" .root "name" (printf "%s-migrations" .name) -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "shopmesh.componentName" $job }}
  labels: {{- include "shopmesh.labels" $job | nindent 4 }}
  annotations:
    # After install (the services also migrate on start) and before an upgrade's new pods roll out.
    helm.sh/hook: post-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ .root.Values.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ .root.Values.migrations.activeDeadlineSeconds }}
  ttlSecondsAfterFinished: 3600
  template:
    metadata:
      labels: {{- include "shopmesh.labels" $job | nindent 8 }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "shopmesh.componentName" . }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext: {{- toYaml $c.podSecurityContext | nindent 8 }}
      {{- with .root.Values.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "shopmesh.image" . }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          command: {{- toYaml $c.migrations.command | nindent 12 }}
          env: {{- include "shopmesh.python.env" . | nindent 12 }}
          resources: {{- toYaml $c.resources | nindent 12 }}
          securityContext: {{- toYaml $c.securityContext | nindent 12 }}
          volumeMounts: {{- include "shopmesh.python.volumeMounts" . | nindent 12 }}
      volumes: {{- include "shopmesh.python.volumes" . | nindent 8 }}
{{- end -}}

{{/* The shell command of a job: root, key, job, hook (the post-install run: ranker uses --quick). */}}
{{- define "shopmesh.jobCommand" -}}
{{- $root := .root -}}{{- $job := .job -}}
{{- $dir := $root.Values.artifacts.mountPath -}}
{{- $threads := printf "--threads %d" (int $root.Values.jobs.threads) -}}
{{- $extra := join " " (default list $job.extraArgs) -}}
{{- $lines := list "set -eu" -}}
{{- if $root.Values.jobs.fetchData -}}
{{- $lines = append $lines "shopmesh data fetch --quiet" -}}
{{- end -}}
{{- if eq .key "userTower" -}}
{{- $lines = append $lines (printf "shopmesh train user-tower --out %s/models/user-tower-movielens %s %s" $dir $threads $extra) -}}
{{- else if eq .key "index" -}}
{{- $lines = append $lines (printf "tower=$(ls -d %s/models/user-tower-movielens/*/ 2>/dev/null | sort -V | tail -n 1)" $dir) -}}
{{- range $job.catalogs -}}
{{- $tower := ternary " ${tower:+--tower \"$tower\"}" "" (eq . "movielens") -}}
{{- $lines = append $lines (printf "shopmesh build index %s --root %s/indexes --promote%s %s" . $dir $tower $extra) -}}
{{- end -}}
{{- else if and $job.gate (not .hook) -}}
{{- /* Gated: promotes only a candidate not worse than the served model; exit 3 (refused) is a normal outcome. */ -}}
{{- range $job.catalogs -}}
{{- $lines = append $lines (printf "shopmesh retrain --catalog %s --models-dir %s/models %s --tolerance %v %s || [ $? -eq 3 ]" . $dir $threads $job.tolerance $extra) -}}
{{- end -}}
{{- else -}}
{{- range $job.catalogs -}}
{{- $lines = append $lines (printf "shopmesh train ranker %s --models-dir %s/models %s%s %s" . $dir $threads (ternary " --quick" "" $.hook) $extra) -}}
{{- end -}}
{{- end -}}
{{- join "\n" $lines -}}
{{- end -}}

{{/* The spec of a job's Job (CronJob template or install hook): root, name, key, job, hook. */}}
{{- define "shopmesh.jobSpec" -}}
{{- $root := .root -}}{{- $j := $root.Values.jobs -}}{{- $d := $root.Values.default -}}
{{- $dir := $root.Values.artifacts.mountPath -}}
backoffLimit: {{ $j.backoffLimit }}
activeDeadlineSeconds: {{ $j.activeDeadlineSeconds }}
ttlSecondsAfterFinished: 86400
template:
  metadata:
    labels: {{- include "shopmesh.labels" . | nindent 6 }}
  spec:
    restartPolicy: Never
    automountServiceAccountToken: false
    enableServiceLinks: false
    securityContext: {{- toYaml $d.podSecurityContext | nindent 6 }}
    {{- with $root.Values.image.pullSecrets }}
    imagePullSecrets:
      {{- range . }}
      - name: {{ . }}
      {{- end }}
    {{- end }}
    {{- with $j.nodeSelector }}
    nodeSelector: {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $j.tolerations }}
    tolerations: {{- toYaml . | nindent 6 }}
    {{- end }}
    containers:
      - name: {{ .key | kebabcase }}
        image: {{ default (include "shopmesh.image" (dict "root" $root "name" "jobs")) $j.image }}
        imagePullPolicy: {{ $root.Values.image.pullPolicy }}
        command: [sh, -c]
        args:
          - {{ include "shopmesh.jobCommand" . | quote }}
        env:
          - {name: SHOPMESH_HOME, value: /var/lib/shopmesh}
          - {name: SHOPMESH_DATA_DIR, value: {{ printf "%s/data" $dir | quote }}}
          - {name: HOME, value: /tmp}
          - {name: PYTHONUNBUFFERED, value: "1"}
          - {name: PYTHONDONTWRITEBYTECODE, value: "1"}
          - {name: OMP_NUM_THREADS, value: {{ $j.threads | quote }}}
        resources: {{- toYaml (default $j.resources .job.resources) | nindent 10 }}
        securityContext: {{- toYaml $d.securityContext | nindent 10 }}
        volumeMounts:
          - {name: tmp, mountPath: /tmp}
          - {name: state, mountPath: /var/lib/shopmesh}
          - {name: artifacts, mountPath: {{ $dir }}}
    volumes:
      - name: tmp
        emptyDir: {sizeLimit: {{ $d.scratchSizeLimit }}}
      - name: state
        emptyDir: {sizeLimit: {{ $d.scratchSizeLimit }}}
      {{- include "shopmesh.artifacts.volume" $root | nindent 6 }}
{{- end -}}
