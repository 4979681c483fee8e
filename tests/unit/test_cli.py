"""The command line teaches: help lists every command, errors say what to do."""
from __future__ import annotations

import pytest

from pipeline.cli import build_parser, main


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("stack", "setup", "worker", "produce", "classify", "validate-config", "schema",
                    "train", "train-encoder", "train-ner", "demo"):
        assert command in out


def test_every_subcommand_has_help(capsys):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        if name in ("train", "train-encoder", "train-ner"):
            continue  # handed to the trainers' own parsers (tested below)
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert "usage: guardstream" in capsys.readouterr().out


def test_train_ner_has_its_own_help_and_needs_the_data_dir(capsys):
    with pytest.raises(SystemExit) as done:
        main(["train-ner", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: guardstream train-ner" in out and "--data-dir" in out and "classifiers.pii.ner: minilm" in out
    with pytest.raises(SystemExit) as done:
        main(["train-ner"])
    assert done.value.code == 2 and "--data-dir" in capsys.readouterr().err


def test_train_encoder_has_its_own_help_and_refuses_a_wrong_data_dir(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["train-encoder", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: guardstream train-encoder" in out and "--data-dir" in out and "guardstream train" in out
    with pytest.raises(SystemExit) as done:
        main(["train-encoder", "--data-dir", str(tmp_path)])
    assert done.value.code == 2 and "datasets directory" in capsys.readouterr().err


def test_produce_a_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["produce", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_an_empty_config_variable_means_the_defaults(monkeypatch):
    monkeypatch.setenv("GUARDSTREAM_CONFIG", "")       # `export GUARDSTREAM_CONFIG=` must not read "."
    assert build_parser().parse_args(["stack", "status"]).config is None


def test_stack_status_without_a_stack(tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(f"stack:\n  data_dir: {tmp_path / 'none'}\n")
    assert main(["stack", "status", "-c", str(config)]) == 3
    assert "no stack running" in capsys.readouterr().out
