{{/*
A component's NetworkPolicy. Ingress: the main port (named by its protocol: grpc, or http for the console)
only from the components that declare it in dependsOn
(the gateway, public, from networkPolicy.gatewayFrom or anywhere), the health port from the nodes, the
metrics port from the scrapers. Egress: DNS, each dependency's gRPC port, its datastores. Arguments: root,
name, c.
*/}}
{{- define "shopmesh.networkPolicy" -}}
{{- $root := .root -}}{{- $c := .c -}}{{- $np := $root.Values.networkPolicy -}}
{{- $callers := fromYamlArray (include "shopmesh.callers" (dict "root" $root "name" .name)) -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "shopmesh.componentName" . }}
  labels: {{- include "shopmesh.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "shopmesh.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    {{- if $c.public }}
    - ports:
        - {port: {{ $c.protocol }}, protocol: TCP}
      {{- with $np.gatewayFrom }}
      from: {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- else if $callers }}
    - ports:
        - {port: {{ $c.protocol }}, protocol: TCP}
      from:
        {{- range $callers }}
        - podSelector:
            matchLabels: {{- include "shopmesh.selectorLabels" (dict "root" $root "name" .) | nindent 14 }}
        {{- end }}
    {{- end }}
    - ports:
        - {port: {{ ternary "http" "health" (eq $c.kind "triton") }}, protocol: TCP}
      {{- with $np.nodeCIDRs }}
      from:
        {{- range . }}
        - ipBlock: {cidr: {{ . }}}
        {{- end }}
      {{- end }}
    {{- with $np.metricsFrom }}
    - ports:
        - {port: metrics, protocol: TCP}
      from: {{- toYaml . | nindent 8 }}
    {{- end }}
    {{- with $c.extraIngress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  egress:
    - ports:
        - {port: 53, protocol: UDP}
        - {port: 53, protocol: TCP}
      {{- with $np.dnsPeers }}
      to: {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- range $peer := keys (default dict $c.dependsOn) | sortAlpha }}
    - ports:
        - {port: {{ include "shopmesh.grpcPort" (dict "root" $root "name" $peer) }}, protocol: TCP}
      to:
        - podSelector:
            matchLabels: {{- include "shopmesh.selectorLabels" (dict "root" $root "name" $peer) | nindent 14 }}
    {{- end }}
    {{- range $store := list "postgresql" "redis" }}
    {{- if index (default dict $c.datastores) $store }}
    {{- include "shopmesh.datastoreEgress" (dict "root" $root "store" $store) | nindent 4 }}
    {{- end }}
    {{- end }}
    {{- with $c.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* Egress to a datastore: its in-cluster pods, or the managed service's CIDRs. Arguments: root, store. */}}
{{- define "shopmesh.datastoreEgress" -}}
{{- $cfg := index .root.Values .store -}}
{{- $port := ternary 5432 6379 (eq .store "postgresql") -}}
{{- if $cfg.inCluster.enabled -}}
- ports:
    - {port: {{ $port }}, protocol: TCP}
  to:
    - podSelector:
        matchLabels: {{- include "shopmesh.selectorLabels" (dict "root" .root "name" .store) | nindent 10 }}
{{- else -}}
- ports:
    - {port: {{ $cfg.external.port }}, protocol: TCP}
  to:
    {{- range $cfg.external.cidrs }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
{{- end -}}
{{- end -}}
