"""The `outreach-bot` command line."""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from bot import logs
from bot.errors import ContentInvalid, FaqInvalid, NLUUnavailable, ScheduleInvalid, SettingsError
from bot.faq.loader import load_faq
from bot.settings import Settings, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logs.install()
        return args.command(settings, args)
    except SettingsError as error:
        print(f"outreach-bot: {error}", file=sys.stderr)
        return 2
    except ContentInvalid as error:
        print(f"outreach-bot: {error.headline}", file=sys.stderr)
        for problem in error.problems:
            if not problem.warning:
                print(problem, file=sys.stderr)
        return 1
    except NLUUnavailable as error:
        print(f"outreach-bot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outreach-bot", description="A multilingual chatbot for online outreach permanences.")
    commands = parser.add_subparsers(metavar="COMMAND")

    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.set_defaults(command=_chat)

    run = commands.add_parser("run", help="run the bot on Telegram (long polling, or a webhook when WEBHOOK_URL is set), and on WhatsApp when configured")
    run.set_defaults(command=_run)

    faq = commands.add_parser("faq", help="check or export the FAQ").add_subparsers(metavar="ACTION", required=True)
    lint = faq.add_parser("lint", help="check every FAQ file; exit 1 on any error")
    lint.add_argument("--release", action="store_true", help="before going public: an organisation fact not filled in yet is an error")
    lint.set_defaults(command=_faq_lint)
    faq.add_parser("export", help="print the whole FAQ as JSON").set_defaults(command=_faq_export)
    faq.add_parser("coverage", help="examples per intent and language, and the answers written").set_defaults(command=_faq_coverage)

    nlu = commands.add_parser("nlu", help="language and intent recognition").add_subparsers(metavar="ACTION", required=True)
    parse = nlu.add_parser("parse", help="read messages on standard input, write one JSON object per line")
    parse.add_argument("--backend", choices=["embedded", "rasa"], default="embedded")
    parse.set_defaults(command=_nlu_parse)
    evaluate = nlu.add_parser("eval", help="measure the NLU on a labelled JSONL file, or every .jsonl file of a folder (nlu/heldout/)")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--backend", choices=["embedded", "rasa"], default="embedded")
    evaluate.set_defaults(command=_nlu_eval)
    export_rasa = nlu.add_parser("export-rasa", help="write Rasa's training data (nlu/rasa/data/nlu.yml) from the FAQ")
    export_rasa.add_argument("--out", type=Path, help="another file to write")
    export_rasa.set_defaults(command=_nlu_export_rasa)
    for action, what, handler in (
        ("rasa-setup", "install Rasa (once) and train it (when the FAQ changed)", _nlu_rasa_setup),
        ("rasa-serve", "set Rasa up, then run its server", _nlu_rasa_serve),
    ):
        rasa = nlu.add_parser(action, help=what)
        rasa.add_argument("--retrain", action="store_true", help="train even if the cached model is up to date")
        rasa.set_defaults(command=handler)

    handover = commands.add_parser("handover", help="the permanence and the handover queue").add_subparsers(metavar="ACTION", required=True)
    handover.add_parser("schedule", help="is the permanence open now, and the next openings").set_defaults(command=_handover_schedule)
    handover.add_parser("queue", help="the conversations waiting for the team or in progress").set_defaults(command=_handover_queue)

    db = commands.add_parser("db", help="the database").add_subparsers(metavar="ACTION", required=True)
    db.add_parser("upgrade", help="apply the database migrations").set_defaults(command=_db_upgrade)
    return parser


def _chat(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.app import start
    from bot.channels.terminal import chat

    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))

    async def run() -> None:
        app = await start(settings, staff_side=False)
        app.watch_knowledge()
        try:
            await chat(app.engine)
        finally:
            await app.close()

    asyncio.run(run())
    return 0


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.service import run

    asyncio.run(run(settings))
    return 0


def _faq_lint(settings: Settings, args: argparse.Namespace) -> int:
    try:
        _faq, problems = load_faq(settings.faq_dir, settings.nlu_data_dir, release=args.release)
    except FaqInvalid as error:
        problems = error.problems
    for problem in problems:
        print(problem)
    errors = sum(not p.warning for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)" if problems else "OK", file=sys.stderr)
    return 1 if errors else 0


def _faq_export(settings: Settings, _args: argparse.Namespace) -> int:
    faq, _problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    exported = [
        {
            "id": entry.id,
            "topic": entry.topic,
            "answers": {lang: faq.text(entry.answer, lang) for lang in entry.answer},
            "examples": {lang: list(texts) for lang, texts in entry.examples.items()},
            "related": list(entry.related),
            "sources": list(entry.sources),
            "reviewed_on": entry.reviewed_on.isoformat() if entry.reviewed_on else None,
            "review_due": entry.review_due.isoformat() if entry.review_due else None,
        }
        for entry in faq.entries.values()
    ]
    json.dump(exported, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _faq_coverage(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.faq.coverage import coverage, render

    faq, _problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    print(render(coverage(faq)))
    return 0


def _read_messages(lines: Iterable[str]) -> Iterable[tuple[str, dict]]:
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


def _nlu_parse(settings: Settings, args: argparse.Namespace) -> int:
    from bot.rasa_commands import parser_for

    with parser_for(settings, args.backend) as parse_one:
        for text, _labels in _read_messages(sys.stdin):
            print(json.dumps(parse_one(text).contract(), ensure_ascii=False), flush=True)
    return 0


def _nlu_eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import load_knowledge
    from nlu.evaluation import evaluate, report

    files = sorted(args.file.glob("*.jsonl")) if args.file.is_dir() else [args.file]
    if not all(f.is_file() for f in files) or not files:
        print(f"outreach-bot: no such file, or no .jsonl file in the folder: {args.file}", file=sys.stderr)
        return 2
    rows = []
    for file in files:
        with file.open(encoding="utf-8") as handle:
            rows += [(text, labels) for text, labels in _read_messages(handle) if labels.get("intent")]
    if args.backend == "rasa":
        from bot.rasa_commands import parser_for

        with parser_for(settings, "rasa") as parse_one:
            parses = [parse_one(text) for text, _ in rows]
    else:
        _faq, nlu = load_knowledge(settings)
        parses = nlu.parse_many([text for text, _ in rows])
    print(report(evaluate([labels for _, labels in rows], parses)))
    return 0


def _nlu_export_rasa(settings: Settings, args: argparse.Namespace) -> int:
    from bot.rasa_commands import export

    return export(settings, args.out)


def _nlu_rasa_setup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.rasa_commands import setup

    return setup(settings, args.retrain)


def _nlu_rasa_serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot.rasa_commands import serve

    return serve(settings, args.retrain)


def _handover_schedule(settings: Settings, _args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from handover.schedule import describe, load_schedule

    try:
        schedule = load_schedule(settings.schedule_file)
    except ScheduleInvalid as error:
        for problem in error.problems:
            print(problem)
        return 1
    now = datetime.now(UTC)
    current = schedule.current(now)
    if current:
        print(f"The permanence is open now, until {current.end:%H:%M} ({schedule.timezone.key}).")
    else:
        print("The permanence is closed now.")
    print("Next openings:")
    for opening in schedule.next_openings(now, count=5):
        print(f"  {describe(opening.start, 'en', schedule.timezone)} – {opening.end:%H:%M}")
    return 0


def _handover_queue(settings: Settings, _args: argparse.Namespace) -> int:
    """Pseudonyms only, as in the staff group: this may be read over someone's shoulder."""
    from datetime import UTC, datetime

    from bot.storage import Storage, connect, upgrade

    async def run() -> list[str]:
        storage = Storage(connect(settings.database_url))
        try:
            await upgrade(storage.engine)
            async with storage.unit() as repo:
                lines = []
                for request in await repo.open_requests():
                    user = await repo.user_by_id(request.user_id)
                    waited = datetime.now(UTC) - request.created_at.replace(tzinfo=request.created_at.tzinfo or UTC)
                    pseudonym, language = (user.pseudonym, user.language or "?") if user else ("?", "?")
                    lines.append(
                        f"{pseudonym:<10} {language:<3} {request.reason:<22} "
                        f"priority {request.priority:<3} {request.status:<8} {int(waited.total_seconds() // 60)} min"
                        f"{'' if request.staff_thread_id else '  (no staff topic yet)'}"
                    )
                return lines
        finally:
            await storage.close()

    lines = asyncio.run(run())
    print("\n".join(lines) if lines else "Nobody is waiting.")
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.storage import connect, upgrade

    async def run() -> None:
        engine = connect(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("The database is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
