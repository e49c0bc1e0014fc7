"""`outreach-bot nlu`: parse and measure messages, and the Rasa backend's data, set-up and server."""

import argparse
import json
import sys
from collections.abc import Iterable

from bot.cli import progress
from bot.settings import Settings

READING = "Ready. Reading the messages…"
"""`nlu eval`'s word once the model is trained: parsing a few thousand messages takes some seconds more."""


def read_messages(lines: Iterable[str]) -> Iterable[tuple[str, dict]]:
    """Plain text, or a JSON object with a "text" key (its other keys come back as labels)."""
    for line in lines:
        line = line.rstrip("\n")
        if line.lstrip().startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if isinstance(record, dict) and isinstance(record.get("text"), str):
                yield record["text"], record
                continue
        yield line, {}


def parse(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.rasa import parser_for

    progress.say(progress.LOADING)
    with parser_for(settings, args.backend) as parse_one:
        progress.say(progress.READY)
        for text, _labels in read_messages(sys.stdin):
            print(json.dumps(parse_one(text).contract(), ensure_ascii=False), flush=True)
    return 0


def eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import load_knowledge
    from nlu.evaluation import evaluate, report

    files = sorted(args.file.glob("*.jsonl")) if args.file.is_dir() else [args.file]
    if not all(f.is_file() for f in files) or not files:
        print(f"outreach-bot: no such file, or no .jsonl file in the folder: {args.file}", file=sys.stderr)
        return 2
    rows = []
    for file in files:
        with file.open(encoding="utf-8") as handle:
            rows += [(text, labels) for text, labels in read_messages(handle) if labels.get("intent")]
    progress.say(progress.LOADING)
    if args.backend == "rasa":
        from bot.cli.rasa import parser_for

        with parser_for(settings, "rasa") as parse_one:
            progress.say(READING)
            parses = [parse_one(text) for text, _ in rows]
    else:
        _faq, nlu = load_knowledge(settings)
        progress.say(READING)
        parses = nlu.parse_many([text for text, _ in rows])
    print(report(evaluate([labels for _, labels in rows], parses)))
    return 0


def export_rasa(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.rasa import export

    return export(settings, args.out)


def rasa_setup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.rasa import setup

    return setup(settings, args.retrain)


def rasa_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli.rasa import serve

    return serve(settings, args.retrain)
