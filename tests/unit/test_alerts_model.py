"""Alert model: stable fingerprints, severity, Kibana links."""
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import pytest

from alerts.model import Alert, fingerprint, kibana_discover_url
from alerts.windows import WindowStats

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


def stats(rate, app="bot", model="m"):
    return WindowStats(app, model, "toxicity", T0, T0 + timedelta(minutes=1), 100, int(rate * 100), rate)


def test_fingerprint_is_stable_and_distinct():
    # Pinned: receivers dedup on it, so it must not change between processes or releases.
    assert fingerprint("bot", "m", "toxicity") == "0d54872ff1a9bc1aff8b0d2320ceaf77"
    assert fingerprint("a b", "c", "pii") != fingerprint("a", "b c", "pii")
    assert len({fingerprint("bot", "m", c) for c in ("toxicity", "bias", "pii")}) == 3


@pytest.mark.parametrize("rate,severity", [(0.15, "warning"), (0.29, "warning"), (0.30, "critical")])
def test_severity_is_critical_at_twice_the_factor(rate, severity):
    alert = Alert.from_window(stats(rate), baseline=0.05, rule_factor=3.0)
    assert alert.severity == severity
    assert alert.factor_over_baseline == pytest.approx(rate / 0.05)
    assert alert.status == "firing"


def test_summary():
    alert = Alert.from_window(stats(0.2), baseline=0.05, rule_factor=3.0)
    assert alert.summary == ("toxicity spike in bot / m: 20.0% of events (20/100) vs baseline 5.0% "
                             "(4.0x) in window 2025-03-01 12:00-12:01 UTC")


def test_kibana_link_quotes_names():
    alert = Alert.from_window(stats(0.2, app="it's \"bot\"!"), baseline=0.05, rule_factor=3.0)
    url = kibana_discover_url("https://kb.example/", alert)
    assert url.startswith("https://kb.example/app/discover#/?_g=")
    decoded = unquote(url)
    assert "time:(from:'2025-03-01T12:00:00Z',to:'2025-03-01T12:01:00Z')" in decoded
    assert "app:\"it!'s \\\"bot\\\"!!\"" in decoded
    assert " " not in url
