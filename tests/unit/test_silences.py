"""Silences: matchers, active time, documents, and the worker's cache."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from alerts.routing import alert_labels
from alerts.silences import (Matcher, Silence, SilenceCache, describe, index_body, new_silence,
                             silence_document, silence_from_document)
from tests.unit.test_lifecycle_documents import leaves as _leaves, mapped as _mapped

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
LABELS = alert_labels("support-bot", "gpt-x", "toxicity", "critical")


@pytest.mark.parametrize("text,matches", [
    ("app=support-bot", True), ("app=support", False), ("app!=other", True), ("app!=support-bot", False),
    ("category=~tox.*|pii", True), ("category=~tox", False), ("category!~bias|pii", True),
    ("severity=critical", True), ("model = gpt-x", True), ("app=~support-.*", True),
])
def test_matchers(text, matches):
    assert Matcher.parse(text).matches(LABELS) is matches


@pytest.mark.parametrize("bad", ["tenant=x", "app", "=x", "severity~critical", "category=~(unclosed"])
def test_bad_matchers_are_refused(bad):
    with pytest.raises(ValueError):
        Matcher.parse(bad)


def test_a_silence_needs_all_matchers_and_is_active_between_start_and_end():
    silence = new_silence(["app=support-bot", "category=toxicity"], 7200, comment="known incident, ticket 42",
                          created_by="ana", now=NOW)
    assert silence.matches(LABELS) and not silence.matches({**LABELS, "category": "pii"})
    assert silence.active(NOW) and silence.active(NOW + timedelta(hours=2) - timedelta(seconds=1))
    assert not silence.active(NOW + timedelta(hours=2)) and not silence.active(NOW - timedelta(seconds=1))
    assert silence.state(NOW) == "active" and silence.state(NOW + timedelta(hours=3)) == "expired"
    later = new_silence(["app=x"], 60, comment="maintenance", created_by="ana", now=NOW,
                        starts_at=NOW + timedelta(hours=1))
    assert later.state(NOW) == "pending" and not later.active(NOW)
    assert "app=support-bot,category=toxicity" in describe(silence, NOW) and "by ana" in describe(silence, NOW)


def test_a_silence_needs_a_comment_a_matcher_and_a_duration():
    with pytest.raises(ValueError, match="comment"):
        new_silence(["app=x"], 60, comment=" ", created_by="ana")
    with pytest.raises(ValueError, match="longer than 0"):
        new_silence(["app=x"], 0, comment="why", created_by="ana")
    with pytest.raises(ValueError):
        new_silence([], 60, comment="why", created_by="ana")


def test_document_round_trip_and_every_field_is_mapped():
    silence = new_silence(["app=~support-.*", "severity!=warning"], 3600, comment="c", created_by="ana", now=NOW)
    doc = silence_document(silence)
    assert silence_from_document(doc) == silence
    assert doc["@timestamp"] == NOW.isoformat()
    mapping = index_body()["mappings"]
    assert [p for p in _leaves(doc) if not _mapped(mapping, p)] == []


class FakeSearch:
    """The one async search call the cache makes, answering with stored silences or failing."""

    def __init__(self, silences=(), fail=False, missing=False):
        self.silences, self.fail, self.missing = list(silences), fail, missing

    def options(self, **kwargs):
        return self

    async def search(self, **kwargs):
        if self.fail:
            raise ConnectionError("down")
        if self.missing:
            return {"error": "index_not_found_exception", "status": 404}
        return {"hits": {"hits": [{"_id": s.id, "_source": silence_document(s)} for s in self.silences]
                         + [{"_id": "junk", "_source": {"guardstream": {}}}]}}


def test_the_cache_keeps_the_last_silences_when_the_search_fails():
    silence = new_silence(["app=support-bot"], 3600, comment="c", created_by="ana")
    cache = SilenceCache("guardstream-silences")
    assert cache.matching(LABELS) == [] and not cache.loaded
    assert asyncio.run(cache.refresh(FakeSearch([silence]))) is True  # the malformed one is skipped
    assert cache.loaded and cache.matching(LABELS) == [silence.id]
    assert cache.matching({**LABELS, "app": "other"}) == []
    assert asyncio.run(cache.refresh(FakeSearch(fail=True))) is False
    assert cache.matching(LABELS) == [silence.id]
    assert asyncio.run(cache.refresh(FakeSearch(missing=True))) is True and cache.matching(LABELS) == []


def test_expired_or_pending_silences_do_not_mute():
    now = datetime.now(timezone.utc)
    past = Silence(id="p", matchers=[Matcher.parse("app=support-bot")], starts_at=now - timedelta(hours=2),
                   ends_at=now - timedelta(hours=1), created_by="a", comment="c", created_at=now)
    future = past.model_copy(update={"id": "f", "starts_at": now + timedelta(hours=1),
                                     "ends_at": now + timedelta(hours=2)})
    cache = SilenceCache("x")
    asyncio.run(cache.refresh(FakeSearch([past, future])))
    assert cache.matching(LABELS) == []
