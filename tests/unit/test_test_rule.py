"""`guardstream test-rule`: replaying samples/rates-example.jsonl, JSON output, config, bad lines."""
import json
from pathlib import Path

import pytest

from pipeline.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "rates-example.jsonl"


def test_sample_fires_once_and_resolves(capsys):
    assert main(["test-rule", "--data", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    fire = [line for line in lines if " FIRE " in line]
    resolve = [line for line in lines if " RESOLVE " in line]
    assert fire == ["2025-03-03 09:30-09:31  FIRE     support-bot/gpt-4o-mini/toxicity  rate 21.3% (88/414)  "
                    "baseline 1.9%  score 11.3  by spike"]
    assert resolve[0].startswith("2025-03-03 09:34-09:35  RESOLVE  support-bot/gpt-4o-mini/toxicity  rate 2.0%")
    assert resolve[0].endswith("after 4 anomalous windows")
    # Each event lists every detector's verdict: why it fired, and that the model is still learning.
    first = lines.index(fire[0])
    assert lines[first + 1].startswith("    spike: rate 21.3% (88/414) is 11.3x baseline 1.9% (recent): over factor 2")
    assert lines[first + 2] == "    ecod: learning (30/1440 windows)"
    # The one-minute 2x pii blip at 09:45 is noise: nothing about pii.
    assert "pii" not in "".join(fire + resolve)
    assert lines[-1] == ("120 windows in 2 series, 114 judged (the rest warming up), 4 anomalous; "
                         "1 alert would fire, 1 resolve")


def test_json_output(capsys):
    assert main(["test-rule", "--data", str(SAMPLE), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(e["action"], e["window_start"]) for e in report["events"]] == [
        ("fire", "2025-03-03T09:30:00+00:00"), ("resolve", "2025-03-03T09:34:00+00:00")]
    fire = report["events"][0]
    assert fire["detectors"] == ["spike"] and fire["violations"] == 88
    assert fire["baseline"] == pytest.approx(0.019, abs=1e-3)
    assert report["events"][1]["windows"] == 4
    assert report["summary"] == {"windows": 120, "series": 2, "judged": 114, "anomalous": 4, "fired": 1,
                                 "resolved": 1, "still_firing": []}


def test_config_is_applied(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("alerts:\n  rule:\n    factor: 15\n  detection:\n    detectors: [spike]\n")
    assert main(["test-rule", "--data", str(SAMPLE), "-c", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert " FIRE " not in out and "0 alerts would fire" in out       # 11.3x is under a factor of 15


def test_still_firing_at_the_end(tmp_path, capsys):
    lines = SAMPLE.read_text().splitlines()[:66]                      # stops inside the incident
    data = tmp_path / "r.jsonl"
    data.write_text("\n".join(lines) + "\n")
    assert main(["test-rule", "--data", str(data)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(
        "still firing at the end: support-bot/gpt-4o-mini/toxicity")


GOOD = {"app": "a", "model": "m", "category": "pii", "window_start": "2025-03-03T09:00:00Z",
        "window_end": "2025-03-03T09:01:00Z", "events": 10, "violations": 1}


@pytest.mark.parametrize("bad, problem", [
    ("{not json", "line 2: not JSON"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "events"}), "line 2: missing field events"),
    (json.dumps({**GOOD, "window_start": "2025-03-03T09:05:00Z", "window_end": "2025-03-03T09:06:00Z",
                 "violations": 11}),
     "line 2: violations (11) exceed events (10)"),
    (json.dumps({**GOOD, "window_start": "2025-03-03T09:05:00Z", "window_end": "2025-03-03T09:06:00Z",
                 "rate": 0.5}), "line 2: rate 0.5 does not match violations / events = 0.100000"),
    (json.dumps({**GOOD, "events": "10"}), "line 2: events must be a whole number >= 0"),
    (json.dumps({**GOOD, "window_end": "yesterday"}), "line 2: window_end is not an ISO 8601 time"),
    (json.dumps(GOOD), "line 2: window 2025-03-03T09:00:00+00:00 of a/m/pii is not after the previous one"),
])
def test_bad_lines_are_named(tmp_path, capsys, bad, problem):
    data = tmp_path / "rates.jsonl"
    data.write_text(json.dumps(GOOD) + "\n" + bad + "\n")
    assert main(["test-rule", "--data", str(data)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("guardstream test-rule: ")
    assert f"rates.jsonl:{problem.split('line ')[1]}" in captured.err


def test_missing_file(tmp_path, capsys):
    assert main(["test-rule", "--data", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl:0: No such file or directory" in capsys.readouterr().err
