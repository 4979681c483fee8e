"""``guardstream dlq list|replay``: inspect dead letters and re-drive them after a fix.

A dead letter keeps only a PII-masked preview of what was refused, never the raw payload. Replay
therefore reads the original record back from where the dead letter says it came from (topic,
partition, offset) and produces those exact bytes again, so it works for as long as the source topic
retains the record (Kafka's retention, 7 days by default).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas.config import KafkaConfig
from schemas.event import DeadLetter


@dataclass
class Replayed:
    letter: DeadLetter
    outcome: str  # "replayed", "would replay", or why not


def read_dead_letters(cfg: KafkaConfig, *, reason: str | None = None, timeout_ms: int = 2000) -> Iterator[DeadLetter]:
    """Every dead letter on the DLQ topic (optionally of one reason), oldest first per partition."""
    consumer = KafkaConsumer(cfg.topics.dlq, bootstrap_servers=cfg.bootstrap_servers, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=timeout_ms, client_id="guardstream-dlq")
    try:
        for message in consumer:
            try:
                letter = DeadLetter.model_validate_json(message.value)
            except ValueError:
                continue  # not ours; the dead_letters agent logs these
            if reason is None or letter.reason == reason:
                yield letter
    finally:
        consumer.close()


def fetch_original(consumer: KafkaConsumer, letter: DeadLetter) -> tuple[bytes | None, bytes | None] | None:
    """The original (key, value) at the dead letter's source position, or None if it is gone."""
    tp = TopicPartition(letter.source.topic, letter.source.partition)
    consumer.assign([tp])
    if consumer.beginning_offsets([tp])[tp] > letter.source.offset:
        return None  # deleted by retention
    consumer.seek(tp, letter.source.offset)
    for records in consumer.poll(timeout_ms=3000, max_records=1).values():
        for record in records:
            if record.offset == letter.source.offset:
                return record.key, record.value
    return None


def replay(cfg: KafkaConfig, letters: list[DeadLetter], *, to_topic: str | None = None,
           dry_run: bool = False) -> list[Replayed]:
    """Produce the original bytes of each dead letter again (to its source topic unless ``to_topic``).

    Dead letters refused by the index (``index_rejected``) came from the verdicts topic; replaying them
    re-sends the stored verdict. Each source position is replayed at most once per call.
    """
    consumer = KafkaConsumer(bootstrap_servers=cfg.bootstrap_servers, group_id=None, enable_auto_commit=False,
                             client_id="guardstream-dlq-replay")
    producer = None if dry_run else KafkaProducer(bootstrap_servers=cfg.bootstrap_servers, acks="all",
                                                  client_id="guardstream-dlq-replay",
                                                  max_request_size=4 * 1024 * 1024)
    results, seen = [], set()
    try:
        for letter in letters:
            position = (letter.source.topic, letter.source.partition, letter.source.offset)
            if position in seen:
                results.append(Replayed(letter, "duplicate dead letter; replayed once"))
                continue
            seen.add(position)
            original = fetch_original(consumer, letter)
            if original is None:
                results.append(Replayed(letter, "original no longer in the source topic (retention)"))
            elif dry_run:
                results.append(Replayed(letter, "would replay"))
            else:
                producer.send(to_topic or letter.source.topic, key=original[0], value=original[1])
                results.append(Replayed(letter, "replayed"))
        if producer is not None:
            producer.flush()
    finally:
        consumer.close()
        if producer is not None:
            producer.close()
    return results


def letter_row(letter: DeadLetter) -> dict:
    """What ``dlq list`` shows of a dead letter (the preview is already masked)."""
    src = letter.source
    return {"received_at": letter.received_at.isoformat(timespec="seconds"), "reason": letter.reason,
            "source": f"{src.topic}:{src.partition}@{src.offset}", "event_id": letter.event_id,
            "detail": letter.detail[:120], "bytes": letter.payload_bytes}


def format_rows(rows: list[dict], as_json: bool) -> str:
    if as_json:
        return "".join(json.dumps(r) + "\n" for r in rows)
    lines = [f"{r['received_at']}  {r['reason']:<16} {r['source']:<24} {r['event_id'] or '-':<14} {r['detail']}"
             for r in rows]
    return "\n".join(lines + [f"({len(rows)} dead letters)"]) + "\n"
