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
    from pipeline.elastic import setup_indices, sync_client
    from pipeline.kafka_io import ensure_topics

    cfg = _config(args)
    created = ensure_topics(cfg.kafka)
    print("kafka topics: " + (f"created {', '.join(created)}" if created else "all present"))
    changes = setup_indices(sync_client(cfg.elasticsearch), cfg.elasticsearch)
    print("elasticsearch: " + (", ".join(changes) if changes else "templates and indices up to date"))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import faust

    from pipeline.app import create_app

    app = create_app(_config(args))
    worker = faust.Worker(app, loglevel=args.loglevel, quiet=True)
    worker.execute_from_commandline()
    return 0


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


def cmd_validate_config(args: argparse.Namespace) -> int:
    load_config(args.file)
    print(f"{args.file}: valid")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from schemas.export import export_schemas

    for path in export_schemas(args.out):
        print(path)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from pipeline.classify_cli import classify_texts

    return classify_texts(_config(args), args.text, sys.stdin)


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
            p.add_argument("-c", "--config", type=Path, default=os.environ.get("GUARDSTREAM_CONFIG"),
                           help="YAML config file (default: $GUARDSTREAM_CONFIG, else built-in defaults)")
        p.set_defaults(func=fn)
        return p

    p = add("stack", cmd_stack, "start, stop or inspect the embedded Kafka + Elasticsearch (noida-db)")
    p.add_argument("action", choices=["up", "down", "status"])
    add("setup", cmd_setup, "create Kafka topics and Elasticsearch templates/indices (idempotent)")
    p = add("worker", cmd_worker, "run the stream worker: classify, index, count, alert")
    p.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    p = add("produce", cmd_produce, "send a JSONL file to Kafka, one record per line, bytes unchanged")
    p.add_argument("file", type=Path, help="JSONL file; malformed lines are sent too and get dead-lettered")
    p.add_argument("--topic", help="target topic (default: kafka.topics.events)")
    p = add("validate-config", cmd_validate_config, "check a config file and exit", config=False)
    p.add_argument("file", type=Path)
    p = add("schema", cmd_schema, "write the event/verdict JSON Schema files", config=False)
    p.add_argument("--out", type=Path, default=None, help="directory (default: the schemas package)")
    p = add("classify", cmd_classify, "print verdict JSON for texts given as arguments or JSONL on stdin")
    p.add_argument("text", nargs="*", help="texts; without any, read JSONL lines {\"text\": ...} from stdin")
    # Listed for --help only: main() hands `train` to classifiers.train before this parser runs.
    add("train", None, "train the toxicity and bias heads (see `guardstream train --help`)", config=False)
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
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from elasticsearch import ConnectionError as EsConnectionError
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError

    from pipeline.stack import StackError

    try:
        return args.func(args)
    except (ConfigError, StackError) as exc:
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
