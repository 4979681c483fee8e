"""The ``guardstream`` command line. Each subcommand is a small function; heavy imports stay inside them
so ``guardstream --help`` answers instantly."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from schemas.config import Config, ConfigError, load_config

EPILOG = """\
quick start (embedded stack, no Docker needed):
  guardstream stack up                       start Kafka + Elasticsearch (noida-db) on 127.0.0.1
  guardstream setup                          create topics and index templates
  guardstream worker                         classify, index and alert (Ctrl-C stops)
  guardstream produce samples/traffic.jsonl  send events
  guardstream demo                           all of the above, with a summary
"""


def _config(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def cmd_stack(args: argparse.Namespace) -> int:
    from pipeline import stack

    cfg = _config(args).stack
    if args.action == "up":
        state = stack.up(cfg)
        print(f"stack up (noida-db {stack.NOIDA_VERSION}, pid {state.pid})\n"
              f"  kafka          {state.bootstrap}\n  elasticsearch  {state.elasticsearch_url}\n"
              f"  data           {state.data_dir}\n  log            {state.log_file}")
    elif args.action == "down":
        state = stack.down(cfg)
        print(f"stack stopped (pid {state.pid})" if state else "no stack running")
    else:
        state = stack.running(cfg)
        if state is None:
            print(f"no stack running (state dir {cfg.data_dir})")
            return 3
        print(f"running: pid {state.pid}, kafka {state.bootstrap}, elasticsearch {state.elasticsearch_url}")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from pipeline.elastic import sync_client
    from pipeline.es_setup import setup_indices
    from pipeline.kafka_io import ensure_topics

    cfg = _config(args)
    created = ensure_topics(cfg.kafka)
    print("kafka topics: " + (f"created {', '.join(created)}" if created else "all present"))
    report = setup_indices(sync_client(cfg.elasticsearch), cfg.elasticsearch)
    print(report.capabilities.describe())
    print("elasticsearch: " + ("\n  ".join(["changed:", *report.changes]) if report.changes
                               else "templates, policies and aliases up to date"))
    from alerts.silences import ensure_index

    if ensure_index(sync_client(cfg.elasticsearch), cfg.elasticsearch.silences_index):
        print(f"elasticsearch: created index {cfg.elasticsearch.silences_index}")
    if args.kibana_url:
        from pipeline.kibana import import_saved_objects

        print(import_saved_objects(args.kibana_url, cfg=cfg.elasticsearch,
                                   api_key=os.environ.get("GUARDSTREAM_KIBANA_API_KEY")))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from pipeline import query
    from pipeline.elastic import sync_client

    cfg = _config(args)
    filters = query.Filters(categories=args.category or [], app=args.app, model=args.model, kind=args.kind,
                            since=query.parse_time(args.since) if args.since else None,
                            until=query.parse_time(args.until) if args.until else None, text=args.text)
    client, index = sync_client(cfg.elasticsearch), cfg.elasticsearch.verdicts_index
    if args.count:
        print(query.count(client, index, filters))
    elif args.histogram:
        for start, n in query.histogram(client, index, filters, args.histogram):
            print(f"{start}  {n}")
    else:
        docs = query.search(client, index, filters, limit=args.limit)
        (query.print_json if args.json else query.print_table)(docs, sys.stdout)
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    from pipeline import dlq

    cfg = _config(args).kafka
    letters = [letter for letter in dlq.read_dead_letters(cfg, reason=args.reason)
               if args.event_id is None or letter.event_id == args.event_id]
    if args.action == "list":
        sys.stdout.write(dlq.format_rows([dlq.letter_row(letter) for letter in letters], args.json))
        return 0
    results = dlq.replay(cfg, letters, to_topic=args.to, dry_run=args.dry_run)
    for result in results:
        src = result.letter.source
        print(f"{src.topic}:{src.partition}@{src.offset}  {result.letter.reason:<16} {result.outcome}")
    replayed = sum(r.outcome in ("replayed", "would replay") for r in results)
    print(f"{'would replay' if args.dry_run else 'replayed'} {replayed} of {len(results)} dead letters")
    return 0


def cmd_kibana(args: argparse.Namespace) -> int:
    from pipeline.kibana import export_ndjson, import_saved_objects

    cfg = _config(args)
    if args.action == "export":
        print(export_ndjson(args.out, cfg.elasticsearch if args.config else None))
    else:
        if not args.url:
            raise ConfigError("kibana import needs --url, e.g. --url http://127.0.0.1:5601")
        print(import_saved_objects(args.url, cfg=cfg.elasticsearch,
                                   api_key=os.environ.get("GUARDSTREAM_KIBANA_API_KEY")))
    return 0


def cmd_silence(args: argparse.Namespace) -> int:
    from alerts.silences import run_command

    return run_command(_config(args), args, sys.stdout)


def cmd_retention(args: argparse.Namespace) -> int:
    from pipeline.elastic import sync_client
    from pipeline.retention import apply_retention

    cfg = _config(args)
    deleted = apply_retention(sync_client(cfg.elasticsearch), cfg.elasticsearch, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {len(deleted)} expired daily indices" + "".join(f"\n  {i}" for i in deleted))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from pipeline.app import create_app
    from pipeline.logging_json import logging_config

    cfg = _config(args)
    level = args.loglevel or cfg.logging.level
    app = create_app(cfg)
    # Faust installs our handler and formatter (text or one JSON object per line, PII-masked) itself.
    worker = faust.Worker(app, loglevel=level, quiet=True,
                          logging_config=logging_config(cfg.logging.format, level))
    try:
        worker.execute_from_commandline()  # returns (or raises SystemExit) once the worker has stopped
    finally:
        _leave_group(cfg)
    return 0


def _leave_group(cfg: Config) -> None:
    """After a graceful stop, hand this static member's partitions over now rather than at session timeout."""
    from pipeline.kafka_io import group_instance_id, leave_group

    instance = group_instance_id(cfg.kafka, cfg.worker.data_dir)
    if instance is None:
        return  # a dynamic member left the group when its consumer closed
    log = logging.getLogger("pipeline.worker")
    try:
        if leave_group(cfg.kafka, instance):
            log.info("left consumer group %s as %s", cfg.kafka.consumer_group, instance)
        else:
            log.warning("the broker did not confirm that %s left group %s", instance, cfg.kafka.consumer_group)
    except Exception as exc:  # the broker may be gone; its session timeout then frees the partitions
        log.warning("could not leave consumer group %s: %s", cfg.kafka.consumer_group, exc)


def cmd_produce(args: argparse.Namespace) -> int:
    from pipeline.kafka_io import iter_lines, produce_lines

    cfg = _config(args)
    if not args.file.exists():
        raise ConfigError(f"{args.file}: no such file")
    topic = args.topic or cfg.kafka.topics.events

    def progress(n: int) -> None:
        print(f"\rsent {n} records to {topic}", end="", file=sys.stderr, flush=True)

    sent = produce_lines(iter_lines(args.file), cfg.kafka, topic=topic, progress=progress)
    print(file=sys.stderr)
    print(sent)
    return 0


def cmd_test_rule(args: argparse.Namespace) -> int:
    from alerts.judge import RateJudge
    from alerts.replay import RatesFileError, read_rates, replay, write_json, write_text

    # Every detector scores every window here, so each alert lists every detector's verdict.
    judge = RateJudge(_config(args).alerts, score_all=True)
    try:
        events, summary = replay(judge, read_rates(args.data))
    except RatesFileError as exc:
        print(f"guardstream test-rule: {exc}", file=sys.stderr)
        return 2
    (write_json if args.json else write_text)(events, summary, sys.stdout)
    return 0


def cmd_validate_config(args: argparse.Namespace) -> int:
    load_config(args.file)
    print(f"{args.file}: valid")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from schemas.export import export_schemas

    for path in export_schemas(args.out):
        print(path)
    return 0


def cmd_decrypt(args: argparse.Namespace) -> int:
    from types import SimpleNamespace

    from classifiers.pii.decrypt import decrypt_stream
    from classifiers.pii.tokens import DecryptError, SecretError, TokenCipher, read_secret

    if args.key_file or args.key_env:
        ref = SimpleNamespace(env=args.key_env, file=args.key_file)
    else:
        ref = _config(args).classifiers.pii.encryption_key
    try:
        cipher = TokenCipher(read_secret(ref, what="decryption key"))
        source = " ".join(args.token) if args.token else sys.stdin.read()
        found = decrypt_stream(source, cipher, sys.stdout)
    except (SecretError, DecryptError) as exc:
        print(f"guardstream decrypt: {exc}", file=sys.stderr)
        return 2
    if found == 0:
        print("guardstream decrypt: no encrypted token (<TYPE:enc:v1:...>) in the input", file=sys.stderr)
        return 1
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from pipeline.classify_cli import classify_texts

    return classify_texts(_config(args), args.text, sys.stdin)


def cmd_eval(args: argparse.Namespace) -> int:
    from classifiers.evaluation import EvalDataError, evaluate, format_report

    try:
        report = evaluate(_config(args), args.task, args.data)
    except EvalDataError as exc:
        print(f"guardstream eval: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report) if args.json else format_report(report))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    return run_demo(config_path=args.config, traffic=args.traffic, keep_running=args.keep_running,
                    timeout_s=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardstream", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Watch generative-AI traffic: classify events for toxicity, bias and PII, "
                    "index verdicts in Elasticsearch, alert on spikes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn, help_: str, *, config: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        if config:
            p.add_argument("-c", "--config", type=Path, default=os.environ.get("GUARDSTREAM_CONFIG") or None,
                           help="YAML config file (default: $GUARDSTREAM_CONFIG, else built-in defaults)")
        p.set_defaults(func=fn)
        return p

    p = add("stack", cmd_stack, "start, stop or inspect the embedded Kafka + Elasticsearch (noida-db)")
    p.add_argument("action", choices=["up", "down", "status"])
    p = add("setup", cmd_setup, "create Kafka topics and Elasticsearch templates, policies, aliases (idempotent)")
    p.add_argument("--kibana-url", help="also import the dashboards and searches into this Kibana "
                                        "(API key from $GUARDSTREAM_KIBANA_API_KEY)")
    p = add("query", cmd_query, "search the verdicts: filters combine with AND; newest first")
    p.add_argument("--category", action="append", choices=["toxicity", "bias", "pii"],
                   help="violated category (repeat for any of several)")
    p.add_argument("--app", help="application (service.name)")
    p.add_argument("--model", help="model (gen_ai.request.model)")
    p.add_argument("--kind", choices=["prompt", "response", "tool_call"])
    p.add_argument("--since", help="start of the time range: 15m, 2h, 7d ago or an RFC 3339 time")
    p.add_argument("--until", help="end of the time range (exclusive), same forms")
    p.add_argument("-q", "--text", help="free text in the (masked) message, all words must match")
    p.add_argument("--limit", type=int, default=20, help="documents to show (default 20)")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="one JSON document per line")
    shape.add_argument("--count", action="store_true", help="only the number of matching documents")
    shape.add_argument("--histogram", metavar="INTERVAL", help="matching documents per 1m / 1h / 1d ...")
    p = add("dlq", cmd_dlq, "list dead letters, or replay their original records after a fix")
    p.add_argument("action", choices=["list", "replay"])
    p.add_argument("--reason", choices=["invalid_utf8", "malformed_json", "schema_violation", "oversize",
                                        "adapter_error", "index_rejected"], help="only dead letters of this reason")
    p.add_argument("--event-id", help="only the dead letter(s) of this event id")
    p.add_argument("--json", action="store_true", help="list: one JSON object per line")
    p.add_argument("--to", help="replay: produce to this topic instead of the record's source topic")
    p.add_argument("--dry-run", action="store_true", help="replay: only say what would be replayed")
    p = add("kibana", cmd_kibana, "import the data views, searches and dashboard into Kibana, or export them")
    p.add_argument("action", choices=["import", "export"])
    p.add_argument("--url", help="Kibana base URL, for import (API key from $GUARDSTREAM_KIBANA_API_KEY)")
    p.add_argument("--out", type=Path, help="file to export to (default: schemas/kibana/guardstream.ndjson)")
    p = add("retention", cmd_retention, "delete daily indices past their retention (for clusters without ILM)")
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    p = add("silence", cmd_silence, "mute matching alerts for a while: add, list or expire silences")
    p.add_argument("action", choices=["add", "list", "expire"])
    p.add_argument("id", nargs="?", help="expire: the silence id (see `silence list`)")
    p.add_argument("--match", action="append", metavar="LABEL=VALUE",
                   help="add: app, model, category or severity with = != =~ !~ (repeat; all must hold)")
    p.add_argument("--for", dest="duration", default="1h", help="add: how long, e.g. 30m, 2h, 1d (default 1h)")
    p.add_argument("--start", help="add: start time (RFC 3339; default now)")
    p.add_argument("--comment", help="add: why (required)")
    p.add_argument("--author", help="add: who (default: the login name)")
    p.add_argument("--all", action="store_true", help="list: include expired silences")
    p.add_argument("--json", action="store_true", help="list: one JSON object per line")
    p = add("worker", cmd_worker, "run the stream worker: classify, index, count, alert")
    p.add_argument("--loglevel", default=None, choices=["debug", "info", "warning", "error"],
                   help="log level (default: logging.level in the config, info)")
    p = add("produce", cmd_produce, "send a JSONL file to Kafka, one record per line, bytes unchanged")
    p.add_argument("file", type=Path, help="JSONL file; malformed lines are sent too and get dead-lettered")
    p.add_argument("--topic", help="target topic (default: kafka.topics.events)")
    p = add("test-rule", cmd_test_rule, "replay a rate series (JSONL windows) through the detectors and "
                                        "print when and why alerts would fire and resolve")
    p.add_argument("--data", type=Path, required=True,
                   help="JSONL, one window per line: app, model, category, window_start, window_end, "
                        "events, violations (as genai.rates carries them)")
    p.add_argument("--json", action="store_true", help="one JSON object with the events and a summary")
    p = add("validate-config", cmd_validate_config, "check a config file and exit", config=False)
    p.add_argument("file", type=Path)
    p = add("schema", cmd_schema, "write the event/verdict JSON Schema files", config=False)
    p.add_argument("--out", type=Path, default=None, help="directory (default: the schemas package)")
    p = add("decrypt", cmd_decrypt, "print the clear text of PII encrypted by the encrypt masking operator "
                                    "(a token, a text or verdict JSON on stdin)")
    p.add_argument("token", nargs="*", help="tokens or text; without any, read stdin (text, JSON or JSON lines)")
    key = p.add_mutually_exclusive_group()
    key.add_argument("--key-env", metavar="VAR", help="environment variable holding the key "
                                                     "(default: classifiers.pii.encryption_key in the config)")
    key.add_argument("--key-file", type=Path, metavar="PATH", help="file holding the key")
    p = add("classify", cmd_classify, "print verdict JSON for texts given as arguments or JSONL on stdin")
    p.add_argument("text", nargs="*", help="texts; without any, read JSONL lines {\"text\": ...} from stdin")
    p = add("eval", cmd_eval, "measure the configured classifier on a labelled JSONL file")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("toxicity / bias: one JSON object per line, {\"text\": \"...\", \"label\": 0 or 1}; prints n, AUC of the\n"
                "category score, and accuracy, precision, recall and macro-F1 of the violation decision at the\n"
                "configured threshold (classifiers.<task>.threshold and .labels, else the calibrated ones).\n"
                "pii: {\"text\": \"...\", \"spans\": [{\"start\": 0, \"end\": 4, \"label\": \"PERSON\"}]} per line; exact-span\n"
                "precision, recall and F1, overall and per entity type (classifiers/pii/evaluation.py).\n"
                "example:  guardstream eval --task toxicity --data my_labelled.jsonl --json")
    p.add_argument("--task", required=True, choices=["toxicity", "bias", "pii"], help="what to measure")
    p.add_argument("--data", required=True, type=Path, help="labelled JSONL file")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    # Listed for --help only: main() hands the train commands to their own parsers before this one runs.
    add("train-encoder", None, "adapt the MiniLM encoder to toxicity and bias (low-rank adapters; run before "
                               "`train`; see `guardstream train-encoder --help`)", config=False)
    add("train", None, "train the toxicity, toxicity sub-label and bias heads (see `guardstream train --help`)",
        config=False)
    add("train-ner", None, "train the token head that finds names, places and organisations in the classifier "
                           "encoder's pass, classifiers.pii.ner: minilm (run after `train`; see "
                           "`guardstream train-ner --help`)", config=False)
    p = add("demo", cmd_demo, "start everything, send the sample traffic, print a summary, stop")
    p.add_argument("--traffic", type=Path, default=Path("samples/traffic.jsonl"))
    p.add_argument("--keep-running", action="store_true",
                   help="leave the stack and worker running afterwards to explore the data")
    p.add_argument("--timeout", type=float, default=900.0, help="give up waiting after this many seconds")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``guardstream`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        # Training has its own parser (it is also `python -m classifiers.train`); hand it every flag.
        from classifiers.train import main as train_main

        return train_main(argv[1:])
    if argv[:1] == ["train-encoder"]:
        from classifiers.train_encoder import main as train_encoder_main

        return train_encoder_main(argv[1:], prog="guardstream train-encoder")
    if argv[:1] == ["train-ner"]:
        from classifiers.train_token_head import main as train_ner_main

        return train_ner_main(argv[1:], prog="guardstream train-ner")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from elasticsearch import ConnectionError as EsConnectionError
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError

    from pipeline.kibana import KibanaError
    from pipeline.stack import StackError

    try:
        return args.func(args)
    except (ConfigError, StackError, KibanaError) as exc:
        print(f"guardstream {args.command}: {exc}", file=sys.stderr)
        return 2
    except (KafkaConnectionError, KafkaTimeoutError):
        print(f"guardstream {args.command}: no Kafka broker answers at "
              f"{', '.join(_config(args).kafka.bootstrap_servers)}; start one with `guardstream stack up` "
              "or set kafka.bootstrap_servers", file=sys.stderr)
        return 2
    except EsConnectionError:
        print(f"guardstream {args.command}: Elasticsearch does not answer at "
              f"{', '.join(_config(args).elasticsearch.hosts)}; start it with `guardstream stack up` "
              "or set elasticsearch.hosts", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
