"""Kafka plumbing with kafka-python: creating topics, producing JSONL files, counting records; and the
connection security (SASL PLAIN/SCRAM, TLS) shared by these clients and the Faust worker."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.config import KafkaConfig

#: Records up to this size are sent; the worker dead-letters anything over worker.max_event_bytes.
MAX_RECORD_BYTES = 4 * 1024 * 1024


def client_options(cfg: KafkaConfig) -> dict[str, Any]:
    """Connection keyword arguments for any kafka-python client: brokers, security protocol, SASL, TLS."""
    opts: dict[str, Any] = {"bootstrap_servers": cfg.bootstrap_servers,
                            "security_protocol": cfg.security_protocol}
    if cfg.security_protocol in ("SSL", "SASL_SSL"):
        from pipeline.tls import ssl_context

        opts["ssl_context"] = ssl_context(cfg.tls)
    if cfg.sasl is not None:
        opts.update(sasl_mechanism=cfg.sasl.mechanism, sasl_plain_username=cfg.sasl.username,
                    sasl_plain_password=cfg.sasl.password.get_secret_value())
    return opts


def faust_credentials(cfg: KafkaConfig) -> Any:
    """``broker_credentials`` for the Faust app (aiokafka), or ``None`` for a plaintext broker."""
    import faust

    context = None
    if cfg.security_protocol in ("SSL", "SASL_SSL"):
        from pipeline.tls import ssl_context

        context = ssl_context(cfg.tls)
    if cfg.sasl is not None:
        # An ssl_context turns Faust's SASL credentials into SASL_SSL; without one they are SASL_PLAINTEXT.
        return faust.SASLCredentials(username=cfg.sasl.username, password=cfg.sasl.password.get_secret_value(),
                                     mechanism=cfg.sasl.mechanism, ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None


def ensure_topics(cfg: KafkaConfig) -> list[str]:
    """Create the GuardStream topics that do not exist yet. Returns the names it created."""
    admin = KafkaAdminClient(**client_options(cfg), client_id="guardstream-setup")
    try:
        existing = set(admin.list_topics())
        wanted = [cfg.topics.events, *(s.topic for s in cfg.inputs if s.topic != cfg.topics.events),
                  cfg.topics.verdicts, cfg.topics.dlq]
        new = [NewTopic(name, num_partitions=cfg.topics.partitions, replication_factor=1)
               for name in wanted if name not in existing]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass  # another worker won the race; fine
        return [t.name for t in new]
    finally:
        admin.close()


def group_instance_id(cfg: KafkaConfig, data_dir: Path) -> str | None:
    """The worker's static group member id (see ``kafka.group_instance_id``), or None for dynamic membership.

    ``auto`` is the host name plus a hash of the data directory's absolute path: a pod keeps its name
    across container restarts, and two workers on one host need their own data directories anyway.
    """
    if cfg.group_instance_id != "auto":
        return cfg.group_instance_id
    import hashlib
    import socket

    digest = hashlib.sha1(str(Path(data_dir).resolve()).encode()).hexdigest()[:8]
    host = "".join(c if c.isalnum() or c in "._-" else "-" for c in socket.gethostname())[:200] or "host"
    return f"{cfg.consumer_group}-{host}-{digest}"


def leave_group(cfg: KafkaConfig, instance_id: str) -> bool:
    """Remove a static member from the consumer group so its partitions move to the others at once.

    A static member does not leave on close (that is its point: a restart takes its partitions back);
    a worker that stops on purpose calls this so a scale-down does not strand partitions until the
    session times out. Returns whether the broker confirmed; failures are the caller's to log.
    """
    from kafka.admin import MemberToRemove
    from kafka.errors import NoError

    admin = KafkaAdminClient(**client_options(cfg), client_id="guardstream-worker-leave")
    try:
        result = admin.remove_group_members(cfg.consumer_group, [MemberToRemove(group_instance_id=instance_id)])
        return all(err is NoError for err in result.values())
    finally:
        admin.close()


def key_of(line: bytes) -> bytes | None:
    """The record key for a raw event line: its event_id when it has one (same id → same partition)."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):  # any bytes must be sendable: the worker dead-letters them
        return None
    event_id = data.get("event_id") if isinstance(data, dict) else None
    return event_id.encode() if isinstance(event_id, str) and event_id else None


def iter_lines(path: Path) -> Iterator[bytes]:
    """Non-empty lines of a JSONL file as raw bytes (no decoding: bad bytes must reach the DLQ as-is)."""
    with open(path, "rb") as fh:
        for line in fh:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def produce_lines(lines: Iterator[bytes], cfg: KafkaConfig, *, topic: str | None = None,
                  progress: Callable[[int], None] | None = None) -> int:
    """Send each line as one record to the events topic (or ``topic``), exactly as it is. Returns the count."""
    producer = KafkaProducer(**client_options(cfg), acks="all", linger_ms=5,
                             max_request_size=MAX_RECORD_BYTES, client_id="guardstream-produce")
    sent = 0
    try:
        for line in lines:
            producer.send(topic or cfg.topics.events, key=key_of(line), value=line)
            sent += 1
            if progress and sent % 100 == 0:
                progress(sent)
        producer.flush()
    finally:
        producer.close()
    if progress:
        progress(sent)
    return sent


def topic_record_count(cfg: KafkaConfig, topic: str) -> int:
    """How many records the topic holds (end minus beginning offsets over all partitions)."""
    consumer = KafkaConsumer(**client_options(cfg), client_id="guardstream-count")
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return 0
        ends = consumer.end_offsets(tps)
        starts = consumer.beginning_offsets(tps)
        return sum(ends[tp] - starts[tp] for tp in tps)
    finally:
        consumer.close()
