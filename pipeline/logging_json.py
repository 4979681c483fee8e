"""Worker logging: one JSON object per line (``logging.format: json``) or the usual text lines.

Every line is masked before it is written: messages are meant to carry ids and reasons only, but a
library's exception text can quote a payload, so the formatter passes the message and any traceback
through the PII pattern recognizers as a last line of defence.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from typing import Any, Callable

#: What a log line becomes when it cannot be masked.
WITHHELD = "[log text withheld: PII masking failed]"
#: ``extra=`` keys worth carrying as their own JSON fields (ids, never text).
CONTEXT_FIELDS = ("event_id", "topic", "partition", "offset", "reason", "agent", "index", "notifier",
                  "fingerprint", "count")
#: Attributes every LogRecord has; anything else passed through ``extra=`` is context.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def pii_masker() -> Callable[[str], str]:
    """A function that masks PII in a log line with the pattern recognizers (cheap, no model)."""
    from classifiers.pii import PiiDetector, mask_untrusted

    detector = PiiDetector().load()
    return lambda text: mask_untrusted(text, detector)


class _Masking:
    """Shared by both formatters: the mask function, built lazily (logging is configured early)."""

    def __init__(self, mask: Callable[[str], str] | None, masked: bool) -> None:
        self._mask = mask
        self._masked = masked
        self._busy = threading.local()

    def mask(self, text: str) -> str:
        if not self._masked or not text:
            return text
        if getattr(self._busy, "on", False):
            # The masker itself logged (it reports its own failures): never recurse, never pass text through.
            return WITHHELD
        self._busy.on = True
        try:
            if self._mask is None:
                self._mask = pii_masker()
            return self._mask(text)
        except Exception:  # noqa: BLE001 - a log line must never break the caller or leak
            return WITHHELD
        finally:
            self._busy.on = False


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", ...ids, "exc"}`` on one line, PII-masked."""

    def __init__(self, *, mask: Callable[[str], str] | None = None, masked: bool = True) -> None:
        super().__init__()
        self._masking = _Masking(mask, masked)

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self._masking.mask(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key in _RECORD_ATTRS or key.startswith("_"):
                continue
            if key in CONTEXT_FIELDS or isinstance(value, (int, float, bool)):
                out[key] = value if isinstance(value, (int, float, bool)) else self._masking.mask(str(value))
        if record.exc_info:
            out["exc"] = self._masking.mask(self.formatException(record.exc_info))
        if record.stack_info:
            out["stack"] = self._masking.mask(self.formatStack(record.stack_info))
        return json.dumps(out, ensure_ascii=False, default=str)


class MaskingTextFormatter(logging.Formatter):
    """The classic ``time level logger: message`` line, PII-masked like the JSON one."""

    def __init__(self, fmt: str | None = None, *, mask: Callable[[str], str] | None = None,
                 masked: bool = True) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._masking = _Masking(mask, masked)

    def format(self, record: logging.LogRecord) -> str:
        # Only what the record carries is masked: the time and the logger name are ours (a name such as
        # "pipeline.app" looks like a URL to the recognizers).
        masked = logging.makeLogRecord(record.__dict__)
        masked.msg, masked.args = self._masking.mask(record.getMessage()), None
        if record.exc_info:
            masked.exc_info, masked.exc_text = None, self._masking.mask(self.formatException(record.exc_info))
        elif record.exc_text:
            masked.exc_text = self._masking.mask(record.exc_text)
        if record.stack_info:
            masked.stack_info = self._masking.mask(record.stack_info)
        return super().format(masked)


def logging_config(fmt: str, level: str, *, stream: str = "ext://sys.stdout") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: one stream handler with the chosen formatter on the root.

    Faust's worker takes it as ``logging_config`` so its own start-up lines come out in the same format.
    """
    formatter = {"()": JsonFormatter} if fmt == "json" else {"()": MaskingTextFormatter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"guardstream": formatter},
        "handlers": {"guardstream": {"class": "logging.StreamHandler", "formatter": "guardstream",
                                     "stream": stream}},
        "root": {"level": level.upper(), "handlers": ["guardstream"]},
    }
