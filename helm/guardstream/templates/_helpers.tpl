{{/* Names and labels. */}}
{{- define "guardstream.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "guardstream.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "guardstream.selectorLabels" -}}
app.kubernetes.io/name: {{ include "guardstream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end -}}

{{- define "guardstream.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "guardstream.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "guardstream.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if eq .Values.image.variant "cuda" -}}{{- $tag = printf "%s-cuda" $tag -}}{{- end -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}

{{/* Partitions of the events topic: the ceiling for replicas (one consumer per partition). */}}
{{- define "guardstream.partitions" -}}
{{- dig "kafka" "topics" "partitions" 4 .Values.config | int -}}
{{- end -}}

{{- define "guardstream.kafkaProtocol" -}}
{{- dig "kafka" "security_protocol" "PLAINTEXT" .Values.config -}}
{{- end -}}

{{/* Mount points of the TLS secrets. */}}
{{- define "guardstream.kafkaTlsDir" -}}/etc/guardstream/kafka-tls{{- end -}}
{{- define "guardstream.esTlsDir" -}}/etc/guardstream/elasticsearch-tls{{- end -}}

{{/*
The GuardStream config file: values.config with the keys the chart owns laid over it.
*/}}
{{- define "guardstream.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- $managed := dict
  "worker" (dict "web_port" (int .Values.metrics.port) "web_host" "0.0.0.0" "data_dir" "/var/lib/guardstream/worker")
  "logging" (dict "format" .Values.logging.format "level" .Values.logging.level) -}}
{{- $cfg = mustMergeOverwrite $cfg $managed -}}
{{- with .Values.secrets.kafkaTls -}}
{{- if .name -}}
{{- $tls := dict "ca_file" (printf "%s/%s" (include "guardstream.kafkaTlsDir" $) .caKey) -}}
{{- if .certKey -}}
{{- $_ := set $tls "cert_file" (printf "%s/%s" (include "guardstream.kafkaTlsDir" $) .certKey) -}}
{{- $_ := set $tls "key_file" (printf "%s/%s" (include "guardstream.kafkaTlsDir" $) .keyKey) -}}
{{- end -}}
{{- $cfg = mustMergeOverwrite $cfg (dict "kafka" (dict "tls" $tls)) -}}
{{- end -}}
{{- end -}}
{{- with .Values.secrets.elasticsearchTls -}}
{{- if .name -}}
{{- $tls := dict "ca_file" (printf "%s/%s" (include "guardstream.esTlsDir" $) .caKey) -}}
{{- if .certKey -}}
{{- $_ := set $tls "cert_file" (printf "%s/%s" (include "guardstream.esTlsDir" $) .certKey) -}}
{{- $_ := set $tls "key_file" (printf "%s/%s" (include "guardstream.esTlsDir" $) .keyKey) -}}
{{- end -}}
{{- $cfg = mustMergeOverwrite $cfg (dict "elasticsearch" (dict "tls" $tls)) -}}
{{- end -}}
{{- end -}}
{{- if .Values.worker.gpu.enabled -}}
{{- $cfg = mustMergeOverwrite $cfg (dict "classifiers" (dict "device" "cuda")) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
Checks that need more than one value; values.schema.json covers the rest. Fails the install with a
message naming the keys.
*/}}
{{- define "guardstream.validate" -}}
{{- $partitions := include "guardstream.partitions" . | int -}}
{{- if and (not .Values.autoscaling.enabled) (not .Values.keda.enabled) (gt (int .Values.worker.replicas) $partitions) -}}
{{- fail (printf "worker.replicas (%d) exceeds config.kafka.topics.partitions (%d): the extra workers would get no partition" (int .Values.worker.replicas) $partitions) -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.maxReplicas) $partitions) -}}
{{- fail (printf "autoscaling.maxReplicas (%d) exceeds config.kafka.topics.partitions (%d)" (int .Values.autoscaling.maxReplicas) $partitions) -}}
{{- end -}}
{{- if and .Values.keda.enabled (gt (int .Values.keda.maxReplicaCount) $partitions) -}}
{{- fail (printf "keda.maxReplicaCount (%d) exceeds config.kafka.topics.partitions (%d)" (int .Values.keda.maxReplicaCount) $partitions) -}}
{{- end -}}
{{- $protocol := include "guardstream.kafkaProtocol" . -}}
{{- if and (hasPrefix "SASL_" $protocol) (not .Values.secrets.kafkaSasl.name) -}}
{{- fail (printf "config.kafka.security_protocol is %s: set secrets.kafkaSasl.name (username and password come from a Secret)" $protocol) -}}
{{- end -}}
{{- if and .Values.secrets.kafkaSasl.name (not (hasPrefix "SASL_" $protocol)) -}}
{{- fail "secrets.kafkaSasl is set: config.kafka.security_protocol must be SASL_PLAINTEXT or SASL_SSL" -}}
{{- end -}}
{{- if and .Values.secrets.kafkaTls.name (not (has $protocol (list "SSL" "SASL_SSL"))) -}}
{{- fail "secrets.kafkaTls is set: config.kafka.security_protocol must be SSL or SASL_SSL" -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the worker and the setup Job: config path, offline models, secrets. */}}
{{- define "guardstream.env" -}}
- name: GUARDSTREAM_CONFIG
  value: /etc/guardstream/config.yaml
- name: HF_HUB_OFFLINE
  value: "1"
- name: TRANSFORMERS_OFFLINE
  value: "1"
- name: HOME
  value: /tmp
- name: PYTHONDONTWRITEBYTECODE
  value: "1"
{{- $s := .Values.secrets }}
{{- $refs := list
  (list "GUARDSTREAM_ELASTICSEARCH_API_KEY" $s.elasticsearchApiKey.name $s.elasticsearchApiKey.key)
  (list "GUARDSTREAM_SLACK_WEBHOOK_URL" $s.slackWebhookUrl.name $s.slackWebhookUrl.key)
  (list "GUARDSTREAM_PAGERDUTY_ROUTING_KEY" $s.pagerdutyRoutingKey.name $s.pagerdutyRoutingKey.key)
  (list "GUARDSTREAM_KAFKA_SASL_USERNAME" $s.kafkaSasl.name $s.kafkaSasl.usernameKey)
  (list "GUARDSTREAM_KAFKA_SASL_PASSWORD" $s.kafkaSasl.name $s.kafkaSasl.passwordKey)
  (list "GUARDSTREAM_ENCRYPTION_KEY" $s.encryptionKey.name $s.encryptionKey.key) }}
{{- range $refs }}
{{- if index . 1 }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ index . 1 | quote }}
      key: {{ index . 2 | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "guardstream.volumeMounts" -}}
- name: config
  mountPath: /etc/guardstream/config.yaml
  subPath: config.yaml
  readOnly: true
- name: data
  mountPath: /var/lib/guardstream
- name: tmp
  mountPath: /tmp
{{- if .Values.secrets.kafkaTls.name }}
- name: kafka-tls
  mountPath: {{ include "guardstream.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
{{- if .Values.secrets.elasticsearchTls.name }}
- name: elasticsearch-tls
  mountPath: {{ include "guardstream.esTlsDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* Volumes; the argument is (dict "root" $ "configMap" NAME). */}}
{{- define "guardstream.volumes" -}}
- name: config
  configMap:
    name: {{ .configMap }}
- name: data
  emptyDir: {}
- name: tmp
  emptyDir: {}
{{- with .root.Values.secrets.kafkaTls }}
{{- if .name }}
- name: kafka-tls
  secret:
    secretName: {{ .name | quote }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- with .root.Values.secrets.elasticsearchTls }}
{{- if .name }}
- name: elasticsearch-tls
  secret:
    secretName: {{ .name | quote }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- end -}}

{{- define "guardstream.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "guardstream.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}
