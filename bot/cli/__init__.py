"""The `outreach-bot` command line."""

import argparse
import logging
import sys
from pathlib import Path

from bot import logs
from bot.cli import conversation, db, faq, handover, nlu
from bot.errors import ContentInvalid, NLUUnavailable, SettingsError
from bot.settings import load_settings


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
    chat.set_defaults(command=conversation.chat)
    chat.add_argument("--new", action="store_true", help="erase the terminal's conversation and its requests to the team, then start")

    run = commands.add_parser("run", help="run the bot on Telegram (long polling, or a webhook when WEBHOOK_URL is set), and on WhatsApp when configured")
    run.set_defaults(command=conversation.run)

    faq_actions = commands.add_parser("faq", help="check or export the FAQ").add_subparsers(metavar="ACTION", required=True)
    lint = faq_actions.add_parser("lint", help="check every FAQ file; exit 1 on any error")
    lint.add_argument("--release", action="store_true", help="before going public: an organisation fact not filled in yet is an error")
    lint.set_defaults(command=faq.lint)
    faq_actions.add_parser("export", help="print the whole FAQ as JSON").set_defaults(command=faq.export)
    faq_actions.add_parser("coverage", help="examples per intent and language, and the answers written").set_defaults(command=faq.coverage)

    nlu_actions = commands.add_parser("nlu", help="language and intent recognition").add_subparsers(metavar="ACTION", required=True)
    parse = nlu_actions.add_parser("parse", help="read messages on standard input, write one JSON object per line")
    parse.add_argument("--backend", choices=["embedded", "rasa"], default="embedded")
    parse.set_defaults(command=nlu.parse)
    evaluate = nlu_actions.add_parser("eval", help="measure the NLU on a labelled JSONL file, or every .jsonl file of a folder (nlu/heldout/)")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--backend", choices=["embedded", "rasa"], default="embedded")
    evaluate.set_defaults(command=nlu.eval)
    export_rasa = nlu_actions.add_parser("export-rasa", help="write Rasa's training data (nlu/rasa/data/nlu.yml) from the FAQ")
    export_rasa.add_argument("--out", type=Path, help="another file to write")
    export_rasa.set_defaults(command=nlu.export_rasa)
    for action, what, handler in (
        ("rasa-setup", "install Rasa (once) and train it (when the FAQ changed)", nlu.rasa_setup),
        ("rasa-serve", "set Rasa up, then run its server", nlu.rasa_serve),
    ):
        rasa = nlu_actions.add_parser(action, help=what)
        rasa.add_argument("--retrain", action="store_true", help="train even if the cached model is up to date")
        rasa.set_defaults(command=handler)

    handover_actions = commands.add_parser("handover", help="the permanence and the handover queue").add_subparsers(metavar="ACTION", required=True)
    handover_actions.add_parser("schedule", help="is the permanence open now, and the next openings").set_defaults(command=handover.schedule)
    handover_actions.add_parser("queue", help="the conversations waiting for the team or in progress").set_defaults(command=handover.queue)

    db_actions = commands.add_parser("db", help="the database").add_subparsers(metavar="ACTION", required=True)
    db_actions.add_parser("upgrade", help="apply the database migrations").set_defaults(command=db.upgrade)
    return parser


