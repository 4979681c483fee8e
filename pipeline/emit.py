"""Ship GuardStream events from a Python application: ``Emitter.emit`` and ``GuardStreamHandler``.

The host application must never wait on, or fail because of, GuardStream. So ``emit`` only validates
the event and appends it to a bounded in-memory buffer; a background thread owns the kafka-python
producer and sends the buffer in batches. When Kafka is unreachable:

- ``emit`` still returns at once and never raises;
- one warning is logged per outage (not one per event), and an info line when delivery resumes;
- the buffer keeps at most ``max_buffer`` events; when it is full the **oldest** event is dropped and
  counted (``stats()["dropped"]``). The newest events are the ones that say what the application does
  now, which is what violation-rate alerts are about; the oldest would land after their window closed;
- everything still buffered is sent when the broker is back (at least once: a batch whose outcome is
  unknown is sent again, and the event id makes the second copy overwrite the first in the index).

``close()`` (also run at interpreter exit) tries to deliver what is left for a bounded time.
"""
from __future__ import annotations

import atexit
import json
import logging
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from pydantic import ValidationError

from schemas.event import Event

log = logging.getLogger(__name__)

#: Loggers whose records the handler never turns into events: the Kafka client's and our own, so a
#: broker outage cannot feed events about itself back into the buffer.
_OWN_LOGGERS = ("kafka", __name__)


class Emitter:
    """Buffered, asynchronous sender of native GuardStream events to one Kafka topic.

    ``app``/``model`` are defaults for every event. ``producer_options`` go to ``KafkaProducer`` as they
    are (e.g. ``security_protocol``, ``sasl_mechanism``, ``ssl_context``). ``producer_factory`` replaces
    the producer altogether (tests).
    """

    def __init__(self, bootstrap_servers: str | Sequence[str], *, topic: str = "genai.events",
                 app: str | None = None, model: str | None = None, max_buffer: int = 10_000,
                 batch_size: int = 500, linger_s: float = 0.05, retry_backoff_max_s: float = 5.0,
                 delivery_timeout_s: float = 10.0, producer_options: dict[str, Any] | None = None,
                 producer_factory: Callable[[], Any] | None = None):
        if max_buffer < 1 or batch_size < 1:
            raise ValueError("max_buffer and batch_size must be at least 1")
        self.bootstrap_servers = [bootstrap_servers] if isinstance(bootstrap_servers, str) \
            else list(bootstrap_servers)
        self.topic = topic
        self.app = app
        self.model = model
        self.max_buffer = max_buffer
        self.batch_size = batch_size
        self.linger_s = linger_s
        self.retry_backoff_max_s = retry_backoff_max_s
        self.delivery_timeout_s = delivery_timeout_s
        self._producer_options = dict(producer_options or {})
        self._factory = producer_factory or self._kafka_producer
        self._producer: Any = None
        self._buffer: deque[tuple[bytes, bytes]] = deque()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._counts = {"emitted": 0, "sent": 0, "dropped": 0, "invalid": 0}
        self._down = False
        self._full_warned = False
        self._invalid_warned = False
        self._closing = False
        self._close_deadline = 0.0
        self._thread = threading.Thread(target=self._run, name="guardstream-emit", daemon=True)
        self._thread.start()
        atexit.register(self.close, 2.0)

    # -- the caller's side: never blocks on I/O, never raises -------------------------------------

    def emit(self, kind: str, text: str | None = None, app: str | None = None, model: str | None = None,
             **fields: Any) -> str | None:
        """Queue one event; returns its ``event_id``, or None when it was invalid or the emitter is closed.

        ``fields`` are Event fields: ``event_id`` (default: a random ``emit-...`` id), ``timestamp``
        (datetime or RFC 3339; default: now), ``tenant``, ``conversation_id``, ``user_id``,
        ``tool={"name", "arguments"}``, ``labels``.
        """
        try:
            event = self._event(kind, text, app, model, fields)
            record = (event.event_id.encode(), json.dumps(event.to_json_dict(), ensure_ascii=False).encode())
        except Exception as exc:  # noqa: BLE001 -- a bad call must not break the host application
            self._invalid(exc)
            return None
        with self._cond:
            if self._closing:
                self._counts["dropped"] += 1
                return None
            if len(self._buffer) >= self.max_buffer:
                self._buffer.popleft()  # drop the oldest (see the module docstring)
                self._counts["dropped"] += 1
                if not self._full_warned and not self._down:
                    self._full_warned = True
                    log.warning("GuardStream emitter buffer is full (%d events); dropping the oldest",
                                self.max_buffer)
            self._buffer.append(record)
            self._counts["emitted"] += 1
            self._cond.notify_all()
        return event.event_id

    def _event(self, kind: str, text: str | None, app: str | None, model: str | None,
               fields: dict[str, Any]) -> Event:
        data = {
            "event_id": fields.pop("event_id", None) or f"emit-{uuid.uuid4().hex}",
            "@timestamp": fields.pop("timestamp", None) or datetime.now(timezone.utc),
            "kind": kind, "app": app or self.app, "model": model or self.model, "text": text, **fields,
        }
        return Event.model_validate({k: v for k, v in data.items() if v is not None})

    def _invalid(self, exc: Exception) -> None:
        with self._cond:
            self._counts["invalid"] += 1
            first = not self._invalid_warned
            self._invalid_warned = True
        if first:  # the error names fields, never values: no PII in the host's logs
            detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in exc.errors()[:3]) \
                if isinstance(exc, ValidationError) else type(exc).__name__
            log.warning("GuardStream emitter dropped an invalid event (%s); further ones are only counted",
                        detail)

    def stats(self) -> dict[str, int]:
        """Counters: emitted, sent, dropped (buffer full or closed), invalid, and buffered now."""
        with self._cond:
            return {**self._counts, "buffered": len(self._buffer) + self._in_flight}

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything emitted so far is delivered; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._buffer or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is buffered for at most ``timeout`` seconds, then stop; idempotent."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._close_deadline = time.monotonic() + timeout
            self._cond.notify_all()
        self._thread.join(timeout + 0.5)

    # -- the sender thread ------------------------------------------------------------------------

    def _run(self) -> None:
        backoff = 0.25
        while True:
            with self._cond:
                while not self._buffer and not self._closing:
                    self._cond.wait()
                if self._closing and (not self._buffer or time.monotonic() >= self._close_deadline):
                    break
                if len(self._buffer) < self.batch_size and not self._closing:
                    self._cond.wait(self.linger_s)  # let a burst fill one batch
                batch = [self._buffer.popleft() for _ in range(min(self.batch_size, len(self._buffer)))]
                self._in_flight = len(batch)
            failed = self._deliver(batch)
            with self._cond:
                self._in_flight = 0
                self._counts["sent"] += len(batch) - len(failed)
                for record in reversed(failed):  # back to the front, oldest first, within the bound
                    if len(self._buffer) >= self.max_buffer:
                        self._counts["dropped"] += 1
                    else:
                        self._buffer.appendleft(record)
                if len(self._buffer) < self.max_buffer // 2:
                    self._full_warned = False
                self._cond.notify_all()
                if failed:
                    wait = backoff if not self._closing else min(backoff, self._close_deadline - time.monotonic())
                    if wait > 0:
                        self._cond.wait(wait)
            backoff = min(backoff * 2, self.retry_backoff_max_s) if failed else 0.25
        self._shutdown()

    def _deliver(self, batch: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Send one batch and wait for the broker; returns the records that were not acknowledged."""
        futures: list[Any] = []
        problem: BaseException | None = None
        try:
            if self._producer is None:
                self._producer = self._factory()
            for key, value in batch:
                futures.append(self._producer.send(self.topic, key=key, value=value))
            self._producer.flush(timeout=self.delivery_timeout_s)
        except Exception as exc:  # noqa: BLE001 -- broker down, timeouts, anything: retry later
            problem = exc
        # Each record by its own future: the acknowledged ones are not sent twice.
        failed = [record for i, record in enumerate(batch) if i >= len(futures) or not futures[i].succeeded()]
        problem = problem or next((f.exception for f in futures if f.failed()), None)
        if failed:
            self._outage(problem)
            self._drop_producer()  # a fresh producer re-bootstraps; pending sends are abandoned
        elif self._down:
            self._down = False
            log.info("GuardStream emitter: Kafka at %s is reachable again; sending the buffered events "
                     "(%d dropped so far)", ",".join(self.bootstrap_servers), self._counts["dropped"])
        return failed

    def _outage(self, problem: BaseException | None) -> None:
        if self._down:
            return
        self._down = True
        reason = f"{type(problem).__name__}: {str(problem)[:200]}" if problem else "delivery not confirmed"
        log.warning("GuardStream emitter cannot reach Kafka at %s (%s); buffering up to %d events "
                    "(the oldest are dropped when full) and retrying in the background",
                    ",".join(self.bootstrap_servers), reason, self.max_buffer)

    def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=0)
            except Exception:  # noqa: BLE001 -- closing a broken producer may fail too; nothing to do
                pass

    def _shutdown(self) -> None:
        with self._cond:
            left = len(self._buffer)
            self._counts["dropped"] += left
            self._buffer.clear()
            self._cond.notify_all()
        if left:
            log.warning("GuardStream emitter closed with %d events undelivered", left)
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001
                pass
            self._producer = None

    def _kafka_producer(self) -> Any:
        from kafka import KafkaProducer

        timeout_ms = int(self.delivery_timeout_s * 1000)
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers, "client_id": "guardstream-emit", "acks": "all",
            "linger_ms": 20, "retries": 3, "request_timeout_ms": min(5000, timeout_ms),
            "delivery_timeout_ms": timeout_ms, "max_block_ms": min(5000, timeout_ms),
            # Short bootstrap attempts: the sender thread retries with its own backoff.
            "bootstrap_timeout_ms": 3000, "reconnect_backoff_max_ms": 2000,
        }
        options.update(self._producer_options)
        return KafkaProducer(**options)


class GuardStreamHandler(logging.Handler):
    """A ``logging.Handler`` that turns log records into GuardStream events through an ``Emitter``.

    By default only records logged with ``extra={"guardstream": {...}}`` become events; the dict holds
    Event fields (``kind``, ``model``, ``conversation_id``, ``user_id``, ``tool``, ``labels``, ``text``...)
    and the formatted message is the text unless ``text`` is given. With ``all_records=True`` (attach
    it to a dedicated logger) every record becomes an event: ``defaults`` gives constant fields (e.g.
    ``{"kind": "response", "model": "gpt-4o"}``) and ``record_fields`` maps Event fields to LogRecord
    attributes set through ``extra`` (e.g. ``{"conversation_id": "conv_id"}``). Labels ``log.logger`` and
    ``log.level`` are added. The handler never raises into the application.
    """

    def __init__(self, emitter: Emitter, *, defaults: dict[str, Any] | None = None,
                 record_fields: dict[str, str] | None = None, all_records: bool = False,
                 level: int = logging.NOTSET):
        super().__init__(level)
        self.emitter = emitter
        self.defaults = dict(defaults or {})
        self.record_fields = dict(record_fields or {})
        self.all_records = all_records
        self.errors = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Turn one record into an event (or ignore it); never raises."""
        if any(record.name == own or record.name.startswith(own + ".") for own in _OWN_LOGGERS):
            return
        try:
            extra = getattr(record, "guardstream", None)
            if not isinstance(extra, dict):
                if not self.all_records:
                    return
                extra = {}
            fields = dict(self.defaults)
            for field, attribute in self.record_fields.items():
                value = getattr(record, attribute, None)
                if value is not None:
                    fields[field] = value
            fields.update(extra)
            kind = fields.pop("kind", None)
            text = fields.pop("text", None)
            if text is None and kind != "tool_call":
                text = record.getMessage()
            fields.setdefault("timestamp", datetime.fromtimestamp(record.created, timezone.utc))
            fields["labels"] = {"log.logger": record.name[:256], "log.level": record.levelname.lower(),
                                **(fields.get("labels") or {})}
            self.emitter.emit(kind, text, **fields)
        except Exception:  # noqa: BLE001 -- logging must never break the application
            self.errors += 1


_default: Emitter | None = None
_default_lock = threading.Lock()


def configure(bootstrap_servers: str | Sequence[str], **options: Any) -> Emitter:
    """Create the process-wide emitter that ``emit`` uses (closing a previous one); returns it."""
    global _default
    with _default_lock:
        previous, _default = _default, Emitter(bootstrap_servers, **options)
    if previous is not None:
        previous.close(timeout=1.0)
    return _default


def emit(kind: str, text: str | None = None, app: str | None = None, model: str | None = None,
         **fields: Any) -> str | None:
    """``Emitter.emit`` on the emitter made by ``configure``; before ``configure`` it only warns (once)."""
    emitter = _default
    if emitter is None:
        global _unconfigured_warned
        if not _unconfigured_warned:
            _unconfigured_warned = True
            log.warning("pipeline.emit.emit() called before configure(); events are not sent")
        return None
    return emitter.emit(kind, text, app, model, **fields)


_unconfigured_warned = False
