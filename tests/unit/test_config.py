"""The config file: strict keys, errors that name the key, secrets from the environment."""
from __future__ import annotations

import pytest

from pipeline.cli import main
from schemas.config import ConfigError, load_config


def test_defaults_are_valid_without_a_file():
    cfg = load_config(None, environ={})
    assert cfg.kafka.topics.events == "genai.events"
    assert cfg.alerts.slack is None


def test_unknown_keys_are_rejected_with_their_path(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("alerts:\n  rule:\n    factr: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    assert "alerts.rule.factr" in str(err.value)


def test_bad_values_name_the_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("alerts:\n  rule:\n    factor: 0.5\nworker:\n  max_batch: 0\n")
    message = str(pytest.raises(ConfigError, load_config, path, environ={}).value)
    assert "alerts.rule.factor" in message and "worker.max_batch" in message


def test_secrets_come_from_the_environment_and_stay_secret(tmp_path):
    cfg = load_config(None, environ={"GUARDSTREAM_SLACK_WEBHOOK_URL": "http://127.0.0.1:9/hook-secret",
                                     "GUARDSTREAM_PAGERDUTY_ROUTING_KEY": "rk-secret"})
    assert cfg.alerts.slack.webhook_url.get_secret_value().endswith("hook-secret")
    assert "hook-secret" not in repr(cfg) and "rk-secret" not in str(cfg.alerts.pagerduty)


def test_not_yaml_and_not_a_mapping_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kafka: [unclosed\n")
    assert "not valid YAML" in str(pytest.raises(ConfigError, load_config, bad, environ={}).value)
    bad.write_text("- a list\n")
    assert "mapping" in str(pytest.raises(ConfigError, load_config, bad, environ={}).value)
    assert "no such file" in str(pytest.raises(ConfigError, load_config, tmp_path / "nope.yaml").value)
    assert "is a directory" in str(pytest.raises(ConfigError, load_config, tmp_path).value)


def test_validate_config_command(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("worker:\n  max_batch: 16\n")
    assert main(["validate-config", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("worker:\n  max_bach: 16\n")
    assert main(["validate-config", str(bad)]) == 2
    assert "worker.max_bach" in capsys.readouterr().err


def test_the_documented_example_config_is_valid():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "config.example.yaml"
    cfg = load_config(example, environ={})
    assert cfg.worker.max_event_bytes == 262144 and cfg.alerts.rule.window_s == 60


def test_an_unknown_classifier_name_lists_the_valid_ones(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("classifiers:\n  name: gpt-judge\n")
    message = str(pytest.raises(ConfigError, load_config, path, environ={}).value)
    assert "classifiers.name" in message and "minilm-l6-heads" in message
