"""The Helm chart, rendered by Helm's own Go engine (helm-python-sdk binds Helm's SDK; no helm binary).

Each test renders the templates (sprig functions, ``include``, ``fail``, ``values.schema.json`` checks
all run as ``helm install`` would run them), parses the YAML and checks the objects.
"""
from __future__ import annotations

import json
from pathlib import Path

import helm_python as helm
import jsonschema
import pytest
import yaml

from schemas.config import load_config

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "guardstream"
GPU_KEDA = REPO / "helm" / "examples" / "values-gpu-keda.yaml"
SCHEMA = json.loads((CHART / "values.schema.json").read_text())


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART) as loaded:
        yield loaded


def render(chart, values: dict | None = None) -> list[dict]:
    """Every object the chart renders for ``values``, parsed."""
    manifests = chart.render(values or {}, name="gs", namespace="ai-safety", is_install=True)
    objects = []
    for path, text in manifests.items():
        if path.endswith(".txt"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return objects


def one(objects: list[dict], kind: str, name: str | None = None) -> dict:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"{len(found)} {kind} {name or ''}"
    return found[0]


def worker_container(objects: list[dict]) -> dict:
    return one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]


def rendered_config(objects: list[dict], name: str = "gs-guardstream-config") -> dict:
    return yaml.safe_load(one(objects, "ConfigMap", name)["data"]["config.yaml"])


def pod_env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


def test_default_values_render_a_hardened_worker_with_probes_and_setup_hook(chart):
    objects = render(chart)
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == ["ConfigMap", "ConfigMap", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget",
                     "Service"]
    deploy = one(objects, "Deployment")
    assert deploy["spec"]["replicas"] == 2
    # No extra consumer during a rollout: replicas never exceed partitions.
    assert deploy["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    pod = deploy["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    container = worker_container(objects)
    assert container["args"] == ["worker", "-c", "/etc/guardstream/config.yaml"]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert "nvidia.com/gpu" not in container["resources"].get("limits", {})
    # Writable places exist although the root filesystem is read-only.
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/var/lib/guardstream", "/etc/guardstream/config.yaml"} <= mounts
    assert not [e for e in container["env"] if "valueFrom" in e]  # no secret configured, none referenced

    # The config the worker reads is one the real config model accepts, serving on the probed port.
    cfg = load_config_text(one(objects, "ConfigMap", "gs-guardstream-config")["data"]["config.yaml"], {})
    assert cfg.worker.web_host == "0.0.0.0" and cfg.worker.web_port == container["ports"][0]["containerPort"]
    assert cfg.logging.format == "json"
    service = one(objects, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    assert service["spec"]["selector"] == deploy["spec"]["selector"]["matchLabels"]

    job = one(objects, "Job")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"][0] == "setup"
    hook_config = one(objects, "ConfigMap", "gs-guardstream-setup-config")
    # The hook's own config runs before the Job (lower weight) and says the same as the worker's.
    assert int(hook_config["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert rendered_config(objects, "gs-guardstream-setup-config") == rendered_config(objects)

    netpol = one(objects, "NetworkPolicy")
    assert netpol["spec"]["ingress"] == [{"ports": [{"port": "metrics", "protocol": "TCP"}]}]
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def load_config_text(text: str, environ: dict[str, str]):
    """The config model's own loader on a rendered config file."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as fh:
        fh.write(text)
        fh.flush()
        return load_config(fh.name, environ=environ)


def test_gpu_keda_servicemonitor_values_render_the_optional_objects(chart):
    values = yaml.safe_load(GPU_KEDA.read_text())
    objects = render(chart, values)
    kinds = {o["kind"] for o in objects}
    assert {"ScaledObject", "TriggerAuthentication", "ServiceMonitor"} <= kinds
    assert "HorizontalPodAutoscaler" not in kinds  # KEDA owns the HPA

    deploy = one(objects, "Deployment")
    assert "replicas" not in deploy["spec"]  # the autoscaler decides
    pod = deploy["spec"]["template"]["spec"]
    container = worker_container(objects)
    assert container["image"] == "registry.example.com/guardstream:0.1.0-cuda"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"

    # Every secret is a reference to a Secret key, never a value.
    env = pod_env(container)
    for var, secret, key in [("GUARDSTREAM_KAFKA_SASL_USERNAME", "guardstream-kafka", "username"),
                             ("GUARDSTREAM_KAFKA_SASL_PASSWORD", "guardstream-kafka", "password"),
                             ("GUARDSTREAM_ELASTICSEARCH_API_KEY", "guardstream-es", "api-key"),
                             ("GUARDSTREAM_SLACK_WEBHOOK_URL", "guardstream-alerts", "webhook-url"),
                             ("GUARDSTREAM_PAGERDUTY_ROUTING_KEY", "guardstream-alerts", "routing-key")]:
        assert env[var] == {"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["kafka-tls"]["secret"]["secretName"] == "guardstream-kafka-ca"

    # With the secrets the pod would get, the rendered config is valid for the app and points at the mounts.
    fake_env = {"GUARDSTREAM_KAFKA_SASL_USERNAME": "u", "GUARDSTREAM_KAFKA_SASL_PASSWORD": "p",
                "GUARDSTREAM_ELASTICSEARCH_API_KEY": "k", "GUARDSTREAM_SLACK_WEBHOOK_URL": "https://hooks.example/x",
                "GUARDSTREAM_PAGERDUTY_ROUTING_KEY": "r"}
    cfg = load_config_text(one(objects, "ConfigMap", "gs-guardstream-config")["data"]["config.yaml"], fake_env)
    assert cfg.classifiers.device == "cuda"
    assert cfg.kafka.security_protocol == "SASL_SSL" and cfg.kafka.sasl.mechanism == "SCRAM-SHA-512"
    assert str(cfg.kafka.tls.ca_file) == "/etc/guardstream/kafka-tls/ca.crt"
    assert str(cfg.elasticsearch.tls.ca_file).startswith("/etc/guardstream/elasticsearch-tls/")
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert str(cfg.kafka.tls.ca_file).startswith(mounts["kafka-tls"] + "/")

    scaled = one(objects, "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == deploy["metadata"]["name"]
    assert scaled["spec"]["maxReplicaCount"] <= cfg.kafka.topics.partitions
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    assert meta["bootstrapServers"].split(",") == cfg.kafka.bootstrap_servers
    assert meta["consumerGroup"] == cfg.kafka.consumer_group and meta["topic"] == cfg.kafka.topics.events
    assert meta["sasl"] == "scram_sha512" and meta["tls"] == "enable" and meta["lagThreshold"] == "2000"
    auth = one(objects, "TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert {r["parameter"] for r in auth["spec"]["secretTargetRef"]} == {"username", "password", "ca"}

    monitor = one(objects, "ServiceMonitor")
    service = one(objects, "Service")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert all(service["metadata"]["labels"][k] == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    assert one(objects, "NetworkPolicy")["spec"]["ingress"][0]["from"][0]["namespaceSelector"]


def test_cpu_autoscaling_renders_an_hpa_capped_at_the_partitions(chart):
    objects = render(chart, {"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 4}})
    hpa = one(objects, "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] == 4 and hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "replicas" not in one(objects, "Deployment")["spec"]


@pytest.mark.parametrize("values, message", [
    ({"worker": {"replicas": 5}}, "worker.replicas (5) exceeds config.kafka.topics.partitions (4)"),
    ({"autoscaling": {"enabled": True, "maxReplicas": 9}}, "autoscaling.maxReplicas (9)"),
    ({"keda": {"enabled": True, "maxReplicaCount": 12}}, "keda.maxReplicaCount (12)"),
    ({"config": {"kafka": {"security_protocol": "SASL_SSL", "sasl": {"mechanism": "PLAIN"}}}},
     "set secrets.kafkaSasl.name"),
    ({"secrets": {"kafkaTls": {"name": "ca"}}}, "config.kafka.security_protocol must be SSL or SASL_SSL"),
])
def test_inconsistent_values_fail_the_render_with_a_message(chart, values, message):
    with pytest.raises(helm.HelmRenderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        chart.render(values, name="gs", namespace="ai-safety")


BAD_VALUES = [
    {"worker": {"replicas": "two"}},
    {"worker": {"replicas": 0}},
    {"worker": {"gpu": {"enabled": "yes"}}},
    {"image": {"variant": "tpu"}},
    {"replicaCount": 3},  # a typo: unknown keys are refused
    {"metrics": {"port": 80}},
    {"metrics": {"serviceMonitor": {"interval": "often"}}},
    {"logging": {"format": "xml"}},
    {"secrets": {"elasticsearchApiKey": {"name": "Not_A_Name"}}},
    {"secrets": {"kafkaTls": {"name": "tls", "certKey": "tls.crt"}}},  # a client cert without its key
    {"config": {"elasticsearch": {"api_key": "inline-secret"}}},
    {"config": {"alerts": {"slack": {"webhook_url": "https://hooks.slack.com/services/T/B/X"}}}},
    {"config": {"alerts": {"pagerduty": {"routing_key": "inline"}}}},
    {"config": {"kafka": {"sasl": {"mechanism": "PLAIN", "password": "inline"}}}},
    {"config": {"kafka": {"security_protocol": "SSL3"}}},
    {"config": {"kafka": {"topics": {"partitions": 0}}}},
    {"config": {"worker": {"web_port": 9999}}},  # the chart owns the port its probes use
    {"autoscaling": {"enabled": True}, "keda": {"enabled": True}},
]


@pytest.mark.parametrize("values", BAD_VALUES, ids=[json.dumps(v)[:60] for v in BAD_VALUES])
def test_schema_rejects_bad_values_in_jsonschema_and_in_helm(chart, values):
    merged = chart.merge_values(values)  # what `helm install -f` validates: defaults + overrides
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(merged, SCHEMA, cls=jsonschema.Draft7Validator)
    with pytest.raises(helm.HelmValuesError):
        chart.validate_schema(values)
    with pytest.raises(helm.HelmValuesError):
        chart.render(values, name="gs", namespace="ai-safety")


def test_schema_accepts_the_defaults_and_the_example(chart):
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    for values in ({}, yaml.safe_load(GPU_KEDA.read_text())):
        jsonschema.validate(chart.merge_values(values), SCHEMA, cls=jsonschema.Draft7Validator)
        chart.validate_schema(values)


def test_helm_lint_is_clean():
    for values in ({}, yaml.safe_load(GPU_KEDA.read_text())):
        report = helm.lint(CHART, values, strict=True)
        assert report["errors"] == []
        assert [m for m in report["messages"] if m["severity"] >= 2] == []  # no warnings or errors


def test_readme_values_table_covers_every_leaf_value(chart):
    """The chart README documents each value (a table row per leaf key of values.yaml)."""
    readme = (CHART / "README.md").read_text()

    def leaves(node, prefix=""):
        if isinstance(node, dict) and node and prefix != "config":
            for key, value in node.items():
                yield from leaves(value, f"{prefix}.{key}" if prefix else key)
        else:
            yield prefix

    missing = [key for key in leaves(chart.values) if f"`{key}`" not in readme]
    assert missing == []
