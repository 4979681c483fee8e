"""``guardstream classify``: the quickest way to see what the classifiers think of some texts."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Iterable, TextIO

from pipeline.verdicts import VerdictEngine
from schemas.config import Config, ConfigError
from schemas.event import Event


def _read_jsonl(stream: TextIO) -> Iterable[str]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield record["text"] if isinstance(record, dict) else record
        except (ValueError, KeyError):
            raise ConfigError(f"stdin line {number}: expected a JSON object with a \"text\" field") from None


def classify_texts(config: Config, texts: list[str], stdin: TextIO) -> int:
    """Print one verdict JSON line per text (masked text, scores, violations, PII entities)."""
    if not texts:
        if stdin.isatty():
            raise ConfigError('give texts as arguments, or pipe JSONL lines like {"text": "..."}')
        texts = list(_read_jsonl(stdin))
    now = datetime.now(timezone.utc)
    events = [Event(event_id=f"cli-{i}", timestamp=now, kind="prompt", app="cli", model="cli", text=t)
              for i, t in enumerate(texts)]
    engine = VerdictEngine(config.classifiers, max_text_chars=config.worker.max_text_chars)
    engine.load()
    for verdict in engine.classify(events):
        out = verdict.model_dump(mode="json", include={"text", "scores", "violations", "pii", "classifier"})
        sys.stdout.write(json.dumps(out) + "\n")
    return 0
