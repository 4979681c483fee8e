"""The committed demo traffic (samples/traffic.jsonl) against its generator and its README.

The generator runs here with ``--no-data`` (no data sets needed): that gives the answer key (manifest) and a
file that must match the committed one line by line, except the texts drawn from the data sets. When the data
sets are present the committed file must also be byte-identical to a full regeneration.
"""
from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from schemas.event import Event

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
TRAFFIC = SAMPLES / "traffic.jsonl"
GENERATOR = SAMPLES / "make_traffic.py"
# The shared data sets sit beside a development checkout (and CI's); a user's clone has none.
DATASETS = Path(os.environ.get("GUARDSTREAM_DATASETS",
                               Path(__file__).resolve().parents[3] / "shared" / "datasets"))
RECORD_CAP = 256 * 1024  # the worker's default per-record cap
BURST = ("support-bot", "llama-3.1-8b")


def _run(out_dir: Path, *args: str) -> tuple[bytes, dict]:
    out, manifest = out_dir / "traffic.jsonl", out_dir / "manifest.json"
    subprocess.run([sys.executable, str(GENERATOR), *args, "--out", str(out), "--manifest", str(manifest)],
                   check=True, capture_output=True, cwd=ROOT, timeout=120)
    return out.read_bytes(), json.loads(manifest.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nodata(tmp_path_factory) -> tuple[list[bytes], dict]:
    raw, manifest = _run(tmp_path_factory.mktemp("nodata"), "--no-data")
    return raw.split(b"\n")[:-1], manifest


@pytest.fixture(scope="module")
def committed() -> list[bytes]:
    raw = TRAFFIC.read_bytes()
    assert raw.endswith(b"\n")
    return raw.split(b"\n")[:-1]


def _validate(line: bytes) -> Event | None:
    if len(line) > RECORD_CAP:
        return None
    try:
        return Event.model_validate(json.loads(line))
    except (ValueError, ValidationError):  # JSONDecodeError is a ValueError
        return None


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_invalid_lines_match_readme_and_manifest(committed, nodata):
    _, manifest = nodata
    invalid = [i for i, line in enumerate(committed, 1) if _validate(line) is None]
    stated = re.search(r"\*\*(\d+) malformed lines\*\*", (SAMPLES / "README.md").read_text(encoding="utf-8"))
    assert stated, "README must state '**N malformed lines**'"
    assert len(invalid) == int(stated.group(1)) == len(manifest["malformed"])
    assert invalid == [m["line"] for m in manifest["malformed"]]
    assert {m["reason"] for m in manifest["malformed"]} == {"malformed_json", "schema_violation", "oversize"}
    # Every line the manifest calls valid parses, and has the id / kind / series the manifest says.
    for e in manifest["events"]:
        ev = _validate(committed[e["line"] - 1])
        assert ev is not None and (ev.event_id, ev.kind, ev.app, ev.model) == (e["event_id"], e["kind"], e["app"],
                                                                               e["model"])


def test_readme_states_the_counts(nodata):
    _, manifest = nodata
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for key in ("lines", "valid", "kind_prompt", "kind_response", "kind_tool_call", "toxic", "pii_events"):
        assert f"| {key} | {manifest['counts'][key]} |" in readme, key
    for m in manifest["malformed"]:
        assert f"| {m['line']} | `{m['case']}` | {m['reason']} |" in readme, m["case"]


def test_committed_matches_generator_structure(committed, nodata):
    lines, manifest = nodata
    assert len(lines) == len(committed)
    sources = {e["line"]: e["source"] for e in manifest["events"]}
    for i, (ours, theirs) in enumerate(zip(lines, committed), 1):
        if i not in sources:  # malformed lines never use data-set text
            assert ours == theirs, f"line {i}"
            continue
        a, b = json.loads(ours), json.loads(theirs)
        if sources[i] != "template":
            assert a.pop("text") == "[data-set text withheld: generated with --no-data]"
            assert b.pop("text").strip()
        assert a == b, f"line {i}"
    assert b"data-set text withheld" not in b"\n".join(committed)


def test_ids_unique_and_timestamps_ordered(committed, nodata):
    _, manifest = nodata
    ids, stamps = [], []
    for line in committed:
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            if obj.get("event_id"):
                ids.append(obj["event_id"])
            ts = obj.get("@timestamp")
            if isinstance(ts, str):
                stamps.append(_ts(ts))
    assert len(ids) == len(set(ids)) >= 590
    assert all(re.fullmatch(r"evt-\d{6}", i) for i in ids if " " not in i)
    assert stamps == sorted(stamps)
    start = _ts(manifest["start"])
    assert start <= stamps[0] and stamps[-1] < start + timedelta(minutes=30)
    per_min = collections.Counter(int((t - start).total_seconds() // 60) for t in stamps)
    assert set(per_min) == set(range(30)) and min(per_min.values()) >= 8  # roughly even, no empty minute


def test_file_size_and_oversize(committed):
    assert 400_000 < TRAFFIC.stat().st_size < 1_500_000
    big = [line for line in committed if len(line) > RECORD_CAP]
    assert len(big) == 2 and all(len(line) < 500_000 for line in big)
    for line in big:  # oversize only: otherwise a valid event
        Event.model_validate(json.loads(line))
    assert max(len(line) for line in committed if len(line) <= RECORD_CAP) < 4096
    assert 560 <= len(committed) <= 640


def test_burst_fires_only_for_its_series(nodata):
    _, manifest = nodata
    start = _ts(manifest["start"])
    b0, b1 = _ts(manifest["burst"]["start"]), _ts(manifest["burst"]["end"])
    assert (b0 - start, b1 - start) == (timedelta(minutes=18), timedelta(minutes=22))
    assert (manifest["burst"]["app"], manifest["burst"]["model"]) == BURST

    in_burst, outside = [], []
    violations = collections.Counter()  # (app, model, minute) -> toxic or PII events
    toxic = collections.Counter()
    for e in manifest["events"]:
        t = _ts(e["@timestamp"])
        minute = int((t - start).total_seconds() // 60)
        if e["toxic"] or e["pii"]:
            violations[(e["app"], e["model"], minute)] += 1
        if e["toxic"]:
            toxic[(e["app"], e["model"], minute)] += 1
        if e["kind"] == "response":
            (in_burst if (e["app"], e["model"]) == BURST and b0 <= t < b1 else outside).append(e["toxic"])
    share_in, share_out = sum(in_burst) / len(in_burst), sum(outside) / len(outside)
    assert 0.5 <= share_in <= 0.7 and share_out <= 0.06 and share_in >= 8 * share_out

    # A 1-minute spike rule (factor 3 over the series' mean, at least 5 violations) fires in each burst
    # minute and nowhere else.
    for series in {(e["app"], e["model"]) for e in manifest["events"]}:
        quiet = [violations[(*series, m)] for m in range(30) if not 18 <= m < 22]
        baseline = max(1.0, sum(quiet) / len(quiet))
        for m in range(30):
            fires = violations[(*series, m)] >= max(5, 3 * baseline)
            assert fires == (series == BURST and 18 <= m < 22), (series, m)
            if fires:
                assert toxic[(*series, m)] >= 5


def test_base_rates(nodata):
    _, manifest = nodata
    texts = [e for e in manifest["events"] if e["kind"] != "tool_call"]
    base = [e for e in texts if not e.get("burst")]
    toxic_rate = sum(e["toxic"] for e in base) / len(base)
    pii_rate = sum(bool(e["pii"]) for e in texts) / len(texts)
    assert 0.015 <= toxic_rate <= 0.05, toxic_rate
    assert 0.03 <= pii_rate <= 0.08, pii_rate
    assert not any(e["toxic"] and e["pii"] for e in manifest["events"])
    tools = [e for e in manifest["events"] if e["kind"] == "tool_call"]
    assert len(tools) >= 30 and sum(bool(e["pii"]) for e in tools) >= 5
    assert all(p["field"].count(".") >= 3 for e in tools for p in e["pii"])  # nested: tool.arguments.x.y
    assert {e["app"] for e in manifest["events"]} == {"support-bot", "code-assistant", "hr-helper"}
    assert {e["model"] for e in manifest["events"]} == {"gpt-4o-mini", "llama-3.1-8b"}
    assert {e["source"] for e in texts if e["toxic"]} <= {"davidson-hate-offensive", "toxic-spans", "convabuse",
                                                          "toxigen-seeds"}


# Independent checks of the synthetic PII values (not the generator's own helpers).
def _luhn(digits: str) -> bool:
    s = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        s += d - 9 if d > 9 else d
    return s % 10 == 0


def _iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    lengths = {"DE": 22, "GB": 22, "NL": 18}
    if len(s) != lengths.get(s[:2], -1):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


PII_PATTERNS = {
    "email": re.compile(r"[a-z.]+\d*@example\.(?:com|org)"),
    "phone": re.compile(r"\+1 \d{3}-555-01\d\d|\(\d{3}\) 555-01\d\d|\+44 20 7946 0\d{3}|\+44 7700 900\d{3}"),
    "card": re.compile(r"\b\d{4}[ -]?\d{4,6}[ -]?\d{4,5}(?:[ -]?\d{4})?\b"),
    "iban": re.compile(r"\b(?:DE|GB|NL)\d\d(?: ?[A-Z0-9]{1,4})+\b"),
    "ssn": re.compile(r"\b(\d{3})-(\d{2})-(\d{4})\b"),
    "ipv4": re.compile(r"\b(?:192\.0\.2|198\.51\.100|203\.0\.113|10\.20\.30)\.\d{1,3}\b"),
    "ipv6": re.compile(r"\b2001:db8:[0-9a-f:]+"),
}


def test_pii_values_are_synthetic_and_valid(committed, nodata):
    _, manifest = nodata
    seen = collections.Counter()
    for e in manifest["events"]:
        obj = json.loads(committed[e["line"] - 1])
        for p in e["pii"]:
            if p["field"] == "text":
                value_text = obj["text"]
            else:
                node = obj
                for part in p["field"].split("."):
                    node = node[part]
                value_text = node
            m = PII_PATTERNS[p["type"]].search(value_text)
            assert m, (e["event_id"], p, value_text)
            if p["type"] == "card":
                assert _luhn(re.sub(r"\D", "", m.group(0))), m.group(0)
            elif p["type"] == "iban":
                assert _iban_ok(m.group(0)), m.group(0)
            elif p["type"] == "ssn":
                area, group, serial = m.groups()
                assert area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
            seen[p["type"]] += 1
    assert set(seen) == set(PII_PATTERNS), seen
    # No unplanned emails or card-like numbers in events the manifest calls PII-free.
    for e in manifest["events"]:
        if not e["pii"]:
            line = committed[e["line"] - 1].decode()
            assert not PII_PATTERNS["email"].search(line), e["event_id"]
            assert not any(_luhn(re.sub(r"\D", "", m.group(0))) for m in re.finditer(r"\b\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}\b", line))


def test_malformed_line_with_planted_email(committed, nodata):
    _, manifest = nodata
    planted = [m for m in manifest["malformed"] if m["pii"]]
    assert len(planted) == 1 and planted[0]["reason"] == "malformed_json"
    line = committed[planted[0]["line"] - 1]
    with pytest.raises(ValueError):
        json.loads(line)
    assert PII_PATTERNS["email"].search(line.decode())


def test_generator_is_deterministic_without_data(tmp_path, nodata):
    lines, manifest = nodata
    raw, again = _run(tmp_path, "--no-data")
    assert raw.split(b"\n")[:-1] == lines and again == manifest
    raw8, _ = _run(tmp_path, "--no-data", "--seed", "8")
    assert raw8.split(b"\n")[:-1] != lines


@pytest.mark.skipif(not (DATASETS / "davidson-hate-offensive").is_dir(), reason="shared data sets not present")
def test_committed_file_is_byte_identical_to_regeneration(tmp_path, nodata):
    raw, manifest = _run(tmp_path, "--data-dir", str(DATASETS))
    assert raw == TRAFFIC.read_bytes()
    assert manifest == nodata[1]
