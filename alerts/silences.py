"""Silences: mute alerts that match label matchers, for a while, with who and why.

A silence has matchers on the alert labels (``app``, ``model``, ``category``, ``severity``) with
Alertmanager's operators: ``=`` and ``!=`` (exact), ``=~`` and ``!~`` (regular expression over the whole
value). All its matchers must hold. It is active from ``starts_at`` until ``ends_at`` (wall clock:
an operator silences "for the next two hours", whatever event time the stream is at).

Silences live in one Elasticsearch index (``elasticsearch.silences_index``, not daily: there are few,
and ``expire`` rewrites one in place), so they also show in Kibana. ``guardstream silence`` writes
them; the worker re-reads the active ones every ``alerts.silences.refresh_s`` seconds
(``SilenceCache``). A silenced alert is still tracked and indexed (status ``silenced``), never sent.
"""
from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.alert_routing import Label

log = logging.getLogger(__name__)

Op = Literal["=", "!=", "=~", "!~"]
_MATCHER = re.compile(r"^\s*(app|model|category|severity)\s*(=~|!~|!=|=)(.*)$", re.S)
#: Silences read per refresh; more active at once than this is a configuration problem.
MAX_SILENCES = 1000


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Matcher(BaseModel):
    """One condition on one label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Label
    op: Op = "="
    value: str

    @model_validator(mode="after")
    def _regex_compiles(self) -> "Matcher":
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"{self.label}{self.op}{self.value}: not a valid regular expression: {exc}") from None
        return self

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        """``app=support-bot``, ``category=~tox.*``, ``severity!=warning``; ValueError if malformed."""
        found = _MATCHER.match(text)
        if not found:
            raise ValueError(f"bad matcher {text!r}: use LABEL=VALUE (or != =~ !~) with LABEL one of "
                             "app, model, category, severity")
        return cls(label=found[1], op=found[2], value=found[3].strip())

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.label, "")
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        hit = re.fullmatch(self.value, value) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f"{self.label}{self.op}{self.value}"


class Silence(BaseModel):
    """Mute the alerts all ``matchers`` match, from ``starts_at`` until ``ends_at``."""

    model_config = ConfigDict(extra="forbid")

    id: str
    matchers: list[Matcher] = Field(min_length=1)
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime

    @field_validator("starts_at", "ends_at", "created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    @model_validator(mode="after")
    def _ordered(self) -> "Silence":
        if self.ends_at < self.starts_at:
            raise ValueError("a silence cannot end before it starts")
        return self

    def active(self, now: datetime | None = None) -> bool:
        now = now or _now()
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def state(self, now: datetime | None = None) -> str:
        """pending, active or expired."""
        now = now or _now()
        return "pending" if now < self.starts_at else "active" if now < self.ends_at else "expired"


def new_silence(matchers: list[str], duration_s: float, *, comment: str, created_by: str,
                starts_at: datetime | None = None, now: datetime | None = None) -> Silence:
    """A silence from CLI-style matchers (``app=x``) lasting ``duration_s`` from ``starts_at`` (default now)."""
    if duration_s <= 0:
        raise ValueError("a silence must last longer than 0 seconds")
    if not comment.strip():
        raise ValueError("a silence needs a comment saying why")
    now = now or _now()
    start = starts_at or now
    return Silence(id=uuid.uuid4().hex[:16], matchers=[Matcher.parse(m) for m in matchers], starts_at=start,
                   ends_at=start + timedelta(seconds=duration_s), created_by=created_by or "unknown",
                   comment=comment.strip(), created_at=now)


def silence_document(silence: Silence) -> dict[str, Any]:
    """The indexed form (ECS-style, like every GuardStream document)."""
    return {"@timestamp": silence.created_at.isoformat(),
            "event": {"kind": "event", "dataset": "guardstream.silence"},
            "guardstream": {"version": 1, "silence": silence.model_dump(mode="json")}}


def silence_from_document(source: dict[str, Any]) -> Silence:
    return Silence.model_validate(source["guardstream"]["silence"])


def index_body() -> dict[str, Any]:
    """Settings and mappings of the silences index (schemas/elasticsearch/silences.json)."""
    body = json.loads(resources.files("schemas").joinpath("elasticsearch/silences.json").read_text())
    return {"settings": body["template"]["settings"], "mappings": body["template"]["mappings"]}


# -- the CLI's side (blocking client) -----------------------------------------------------------------

def ensure_index(client: Any, index: str) -> bool:
    """Create the silences index if missing; True when it was created."""
    if client.indices.exists(index=index):
        return False
    client.options(ignore_status=400).indices.create(index=index, **index_body())  # 400: lost a race
    return True


def add_silence(client: Any, index: str, silence: Silence) -> None:
    ensure_index(client, index)
    client.index(index=index, id=silence.id, document=silence_document(silence), refresh=True)


def list_silences(client: Any, index: str, *, include_expired: bool = False,
                  now: datetime | None = None) -> list[Silence]:
    """Silences, soonest ending first; without ``include_expired`` only pending and active ones."""
    if not client.indices.exists(index=index):
        return []
    client.indices.refresh(index=index)
    hits = client.search(index=index, size=MAX_SILENCES, query=_not_ended(now) if not include_expired
                         else {"match_all": {}})["hits"]["hits"]
    silences = [silence_from_document(h["_source"]) for h in hits]
    return sorted(silences, key=lambda s: (s.ends_at, s.id))


def expire_silence(client: Any, index: str, silence_id: str, *, now: datetime | None = None) -> Silence | None:
    """End a silence now (it is kept, expired, for the record); None if there is no such silence."""
    if not client.indices.exists(index=index):
        return None
    found = client.options(ignore_status=404).get(index=index, id=silence_id)
    if not found.get("found"):
        return None
    silence = silence_from_document(found["_source"])
    now = now or _now()
    if silence.ends_at > now:
        silence = silence.model_copy(update={"ends_at": max(now, silence.starts_at)})
        client.index(index=index, id=silence.id, document=silence_document(silence), refresh=True)
    return silence


def _not_ended(now: datetime | None) -> dict[str, Any]:
    return {"range": {"guardstream.silence.ends_at": {"gt": (now or _now()).isoformat()}}}


# -- the worker's side (asyncio client) ----------------------------------------------------------------

class SilenceCache:
    """The silences not yet ended, re-read from Elasticsearch; answers "which silences mute these labels"."""

    def __init__(self, index: str) -> None:
        self.index = index
        self.silences: list[Silence] = []
        self.loaded = False

    async def refresh(self, client: Any) -> bool:
        """Re-read the silences; on failure keep the last ones and return False."""
        try:
            response = await client.options(ignore_status=404).search(
                index=self.index, size=MAX_SILENCES, query=_not_ended(None))
        except Exception as exc:  # noqa: BLE001 - a search outage must not stop alerting
            log.warning("could not read silences from %s: %s", self.index, type(exc).__name__)
            return False
        if "hits" not in response:  # 404: no silences index yet, so no silences
            self.silences = []
        else:
            kept = []
            for hit in response["hits"]["hits"]:
                try:
                    kept.append(silence_from_document(hit["_source"]))
                except (KeyError, TypeError, ValueError):
                    log.warning("ignoring malformed silence %s", hit.get("_id"))
            self.silences = kept
        self.loaded = True
        return True

    def matching(self, labels: Mapping[str, str], now: datetime | None = None) -> list[str]:
        """Ids of the active silences that mute an alert with ``labels``."""
        now = now or _now()
        return [s.id for s in self.silences if s.active(now) and s.matches(labels)]


def describe(silence: Silence, now: datetime | None = None) -> str:
    """One line for ``guardstream silence list``."""
    matchers = ",".join(str(m) for m in silence.matchers)
    return (f"{silence.id}  {silence.state(now):7}  {silence.starts_at:%Y-%m-%d %H:%M} → "
            f"{silence.ends_at:%Y-%m-%d %H:%M} UTC  {matchers}  by {silence.created_by}: {silence.comment}")


def run_command(config: Any, args: Any, out: Any) -> int:
    """``guardstream silence add|list|expire`` (``args`` from the CLI parser); returns the exit code."""
    import getpass

    from pipeline.elastic import sync_client
    from schemas.alert_routing import parse_duration
    from schemas.config import ConfigError

    client, index = sync_client(config.elasticsearch), config.elasticsearch.silences_index
    if args.action == "add":
        if not args.match:
            raise ConfigError("silence add needs at least one --match LABEL=VALUE")
        try:
            start = datetime.fromisoformat(args.start.replace("Z", "+00:00")) if args.start else None
            silence = new_silence(args.match, parse_duration(args.duration), comment=args.comment or "",
                                  created_by=args.author or getpass.getuser(), starts_at=start)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        add_silence(client, index, silence)
        print(silence.id, file=out)
        return 0
    if args.action == "list":
        silences = list_silences(client, index, include_expired=args.all)
        for silence in silences:
            print(json.dumps(silence.model_dump(mode="json")) if args.json else describe(silence), file=out)
        if not silences and not args.json:
            print("no silences" if args.all else "no active or pending silences", file=out)
        return 0
    if not args.id:
        raise ConfigError("silence expire needs the ID of a silence (see `guardstream silence list`)")
    expired = expire_silence(client, index, args.id)
    if expired is None:
        print(f"no silence {args.id}", file=out)
        return 1
    print(f"expired {describe(expired)}", file=out)
    return 0
