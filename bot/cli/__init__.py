"""The `outreach-bot` command line."""

import argparse
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

from bot import logs
from bot.cli import campaign, conversation, db, faq, handover, nlu, report
from bot.errors import ContentInvalid, NLUUnavailable, SettingsError
from bot.settings import DEFAULT_DATABASE_URL, Settings, load_settings

Handler = Callable[[Settings, argparse.Namespace], int]
Subcommands = argparse._SubParsersAction
WIDTH = 79
"""Of the descriptions, wrapped here (`_wrap`) so that the examples below them keep their lines."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
    except BrokenPipeError:  # the output went to a command that stopped reading it (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as error:
        logging.getLogger(__name__).debug("Where it stopped:", exc_info=error)
        print(
            f"outreach-bot: stopped by an unexpected error ({type(error).__name__}); run it again with LOG_LEVEL=DEBUG to see where, "
            "and tell whoever maintains the bot.",
            file=sys.stderr,
        )
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outreach-bot",
        usage="%(prog)s [-h] COMMAND ...",
        description=_wrap(
            "A multilingual chatbot for online outreach permanences. The settings come from the "
            "environment, or a .env file in the folder you run it from (see README.md)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(prog="outreach-bot", metavar="COMMAND", help=argparse.SUPPRESS)  # listed below, with the groups' commands
    _add_conversation(commands)
    _add_faq(commands)
    _add_nlu(commands)
    _add_handover(commands)
    _add_report(commands)
    _add_campaign(commands)
    _add_db(commands)
    listed = "\n".join(f"  {name:<22} {summary}" for name, summary, _ in leaf_commands(parser))
    parser.epilog = f"Commands:\n{listed}\n\n`outreach-bot COMMAND --help` says what a command reads and changes, with examples."
    return parser


def leaf_commands(parser: argparse.ArgumentParser, prefix: str = "", summary: str = "") -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """Every command that does something (`chat`, `faq lint`…), with its one-line summary and its
    parser: the top-level help lists them, and a test checks that each has an example."""
    groups = [action for action in parser._actions if isinstance(action, Subcommands)]
    if not groups:
        yield prefix, summary, parser
    for group in groups:
        summaries = {choice.dest: choice.help or "" for choice in group._choices_actions}
        for name, sub in group.choices.items():
            yield from leaf_commands(sub, f"{prefix} {name}".strip(), summaries.get(name, ""))


def _add_conversation(commands: Subcommands) -> None:
    chat = _leaf(
        commands, "chat", conversation.chat, "talk to the bot in this terminal",
        "Talk to the bot as a person would on Telegram or WhatsApp: type a message and read the answer; "
        "type the number of a choice to press that button; Ctrl-D quits. When standard input is not a "
        "terminal (a pipe, a file), each line is one message and the answers are printed after it.\n\n"
        "The terminal plays one person, the same at every run: the bot remembers their conversation "
        "(language, topics, any request to the team still open) in the database, DATABASE_URL "
        f"(by default the file {DEFAULT_DATABASE_URL.rsplit('/', 1)[1]} in the folder you run it from). "
        "--new erases that person first, as /forget would. A request to the team made here reaches no "
        "staff group; `outreach-bot handover queue` lists it.\n\n"
        "It reads the FAQ and trains the language model first (about 15 seconds).",
        ("outreach-bot chat", "talk to the bot, going on from the last time"),
        ("outreach-bot chat --new", "forget the last conversation and start a new one"),
        ("printf 'bonjour\\nc koi la prep\\n' | outreach-bot chat", "two messages, their answers printed"),
    )
    chat.add_argument("--new", action="store_true", help="erase the terminal's conversation and its requests to the team, then start")
    _leaf(
        commands, "run", conversation.run, "run the bot on Telegram (and WhatsApp) until Ctrl-C",
        "Runs the bot for the people who write to it, on every channel whose settings are set: Telegram "
        "with TELEGRAM_BOT_TOKEN (long polling, or a webhook when WEBHOOK_URL is set), WhatsApp with the "
        "WHATSAPP_* settings; and the staff group with STAFF_CHAT_ID. Settings come from the environment "
        "or a .env file in this folder (see the README).\n\n"
        "It brings the database up to date, reads the FAQ and trains the language model (about 15 "
        "seconds), then answers until Ctrl-C or SIGTERM, finishing the messages in hand first. Edits "
        "to the FAQ go live by themselves.",
        ("outreach-bot run", "with TELEGRAM_BOT_TOKEN in .env or the environment"),
        ("LOG_LEVEL=DEBUG outreach-bot run", "the same, with more detail in the log (never what people write)"),
    )


def _add_faq(commands: Subcommands) -> None:
    faq_actions = _group(commands, "faq", "The answers the team writes, in FAQ_DIR (by default the faq/ folder).")
    lint = _leaf(
        faq_actions, "lint", faq.lint, "check every FAQ file; exit 1 on any error",
        "Reads every file of the FAQ (FAQ_DIR) and the training data (NLU_DATA_DIR) and prints each "
        "problem as file:line: message. An error (the bot would refuse the FAQ) makes it exit with 1; "
        "a warning (a fact still to be checked, a review due) does not. Changes nothing. Run it after "
        "every edit.",
        ("outreach-bot faq lint", "check the FAQ"),
        ("outreach-bot faq lint --release", "the check before the bot goes public"),
    )
    lint.add_argument("--release", action="store_true", help="before going public: an organisation fact not filled in yet is an error")
    _leaf(
        faq_actions, "export", faq.export, "print the whole FAQ as JSON",
        "Prints the whole FAQ as JSON: each entry's answers in every language, with the organisation's "
        "facts filled in, its example questions, related entries, sources and review dates. Reads the "
        "FAQ; changes nothing.",
        ("outreach-bot faq export > faq.json", "save it to the file faq.json"),
    )
    _leaf(
        faq_actions, "coverage", faq.coverage, "examples per intent and language, and the answers written",
        "Prints a table of intents (what a message can be about) by language: how many example "
        "questions the language model learns from (and how many of the Arabic ones are written in "
        "Latin letters), whether the answer is written, and what is missing. Reads the FAQ and the "
        "training data; changes nothing.",
        ("outreach-bot faq coverage", "the table"),
    )
    unanswered = _leaf(
        faq_actions, "unanswered", faq.unanswered, "the questions the bot could not answer, grouped, to know what to add",
        "Lists the questions the bot did not understand, or answered with little confidence, in the "
        "last days (UNANSWERED_DAYS, 30 by default, is how long they are kept), grouped by likeness, "
        "the largest group first, with how many, the intent the bot guessed and a few examples. Names, "
        "phone numbers, e-mail addresses, links and long numbers were taken out before they were "
        "stored; still, they are what people wrote: only the FAQ editors should read this. Reads the "
        "database (DATABASE_URL); changes nothing.",
        ("outreach-bot faq unanswered", "the last 30 days"),
        ("outreach-bot faq unanswered --days 7", "the last week"),
    )
    unanswered.add_argument("--days", type=int, default=30, help="how many days back (default 30)")


def _add_nlu(commands: Subcommands) -> None:
    nlu_actions = _group(commands, "nlu", "The language model: what the bot understands of a message.")
    parse = _leaf(
        nlu_actions, "parse", nlu.parse, "what the bot understands of each message on standard input",
        "Reads messages on standard input, one a line (plain text, or JSON with a \"text\" key), and "
        "prints one JSON object a line: text, lang (the language), intent (what it is about), "
        "confidence (0 to 1) and route (answer, meta, handover or fallback). Nothing is sent or stored. "
        "It trains the language model first (about 15 seconds).",
        ("echo \"c koi la prep\" | outreach-bot nlu parse", "one message"),
        ("outreach-bot nlu parse < nlu/devset.jsonl", "every message of a file (from the repository's folder)"),
    )
    _backend_option(parse)
    evaluate = _leaf(
        nlu_actions, "eval", nlu.eval, "measure the NLU on labelled messages (a .jsonl file, or a folder of them)",
        "Measures how well the bot understands: reads labelled messages (one JSON object a line, with "
        "\"text\" and \"intent\", as in nlu/devset.jsonl) from a file, or from every .jsonl file of a "
        "folder, and prints accuracy (overall, per language, per intent), crisis recall, false "
        "handovers, the fallback rate and the most frequent confusions. Changes nothing. It trains the "
        "language model first (about 15 seconds).",
        ("outreach-bot nlu eval nlu/devset.jsonl", "the development set (from the repository's folder)"),
        ("outreach-bot nlu eval nlu/heldout/", "the held-out sets, never trained on"),
    )
    evaluate.add_argument("file", type=Path, help="a .jsonl file, or a folder of them")
    _backend_option(evaluate)
    export_rasa = _leaf(
        nlu_actions, "export-rasa", nlu.export_rasa, "write Rasa's training data (nlu/rasa/data/nlu.yml) from the FAQ",
        "Writes the training data of the Rasa backend, nlu/rasa/data/nlu.yml (or the file given with "
        "--out), from the FAQ's example questions and the training data. Only the Rasa backend needs "
        "it, and rasa-setup does it by itself.",
        ("outreach-bot nlu export-rasa", "write nlu/rasa/data/nlu.yml"),
        ("outreach-bot nlu export-rasa --out nlu.yml", "write it to nlu.yml in this folder instead"),
    )
    export_rasa.add_argument("--out", type=Path, help="another file to write")
    setup = _leaf(
        nlu_actions, "rasa-setup", nlu.rasa_setup, "install Rasa (once) and train it (when the FAQ changed)",
        "Installs Rasa in an environment of its own under RASA_CACHE_DIR (the first time: several "
        "minutes, about 1 GB; it needs Python 3.10, RASA_PYTHON), then trains a Rasa model on the FAQ "
        "when the FAQ changed since the last training. The bot's database is not touched.",
        ("outreach-bot nlu rasa-setup", "install and train, when needed"),
        ("outreach-bot nlu rasa-setup --retrain", "train again even if nothing changed"),
    )
    serve = _leaf(
        nlu_actions, "rasa-serve", nlu.rasa_serve, "set Rasa up, then run its server",
        "Does what rasa-setup does, then runs the Rasa server at RASA_URL until Ctrl-C. It needs "
        "RASA_TOKEN (16 characters or more), the same as the bot's; the bot asks it when NLU_BACKEND=rasa.",
        ("RASA_TOKEN=a-long-secret-of-yours outreach-bot nlu rasa-serve", "run the Rasa server"),
    )
    for rasa in (setup, serve):
        rasa.add_argument("--retrain", action="store_true", help="train even if the cached model is up to date")


def _add_handover(commands: Subcommands) -> None:
    handover_actions = _group(commands, "handover", "The permanence's hours, and the conversations handed to the team.")
    _leaf(
        handover_actions, "schedule", handover.schedule, "is the permanence open now, and the next openings",
        "Reads the permanence's schedule (SCHEDULE_FILE, by default handover/schedule.yml) and says "
        "whether the permanence is open now and when the next five openings are. A mistake in the file "
        "is shown as file:line: message. Changes nothing.",
        ("outreach-bot handover schedule", "check the schedule after editing it"),
    )
    _leaf(
        handover_actions, "queue", handover.queue, "the conversations waiting for the team or in progress",
        "Lists the conversations handed to the team and not closed, the most urgent first: who (a "
        "pseudonym, never a name or a number), the language, why, how urgent, whether a staff member "
        "has it, since when, and whether its topic is open in the staff group. For when no staff group "
        "is set up, or to check on it. Reads the database (DATABASE_URL); changes nothing.",
        ("outreach-bot handover queue", "the list"),
    )


def _add_report(commands: Subcommands) -> None:
    command = _leaf(
        commands, "report", report.report, "the figures for the funders: people, topics, handovers, waits",
        "Counts, for a period, the people the permanence reached (new and returning), the "
        "conversations and messages, what they asked about (the topics of REPORT_CATEGORIES_FILE), "
        "who was answered by the bot and who was handed to the team, why, in or out of the "
        "permanence's hours, how long the first reply took, how each handover ended, and where "
        "people came from (campaigns). By language and channel. Never a message's text; a count "
        "under REPORT_SMALL_CELL (5) is shown as <5. Periods: a month (2026-03), a two-month "
        "period (2026-P1 is January-February, up to P6), a quarter (2026-Q2), a year, or "
        "--from/--to. Reads the database (DATABASE_URL); changes nothing. Charts need the "
        "'reports' extra (pip install 'outreach-bot[reports]').",
        ("outreach-bot report --period 2026-P1", "January and February, on the terminal"),
        ("outreach-bot report --period 2026-P1 --csv out/ --charts out/", "the same, and CSV files, PNG charts and a PDF in out/"),
        ("outreach-bot report --from 2026-03-01 --to 2026-03-15 --lang en", "any range of days, in English"),
    )
    command.add_argument("--period", help="2026-03, 2026-P1 (two months: P1 to P6), 2026-Q2 or 2026")
    command.add_argument("--from", dest="start", type=report.day, metavar="YYYY-MM-DD", help="the first day (with --to)")
    command.add_argument("--to", dest="end", type=report.day, metavar="YYYY-MM-DD", help="the last day, included")
    command.add_argument("--lang", choices=["fr", "en"], default="fr", help="the language of the headings and charts (default fr)")
    command.add_argument("--csv", type=Path, metavar="DIR", help="also write one CSV file per table in DIR")
    command.add_argument("--charts", type=Path, metavar="DIR", help="also write the charts (PNG) and a PDF of them all in DIR")


def _add_campaign(commands: Subcommands) -> None:
    campaign_actions = _group(commands, "campaign", "Outreach campaigns: links and QR codes that reports count people by.")
    new = _leaf(
        campaign_actions, "new", campaign.new, "print a campaign's Telegram and WhatsApp links and write their QR codes",
        "Makes the links of an outreach campaign (a flyer, a post, a van's visit): a Telegram link "
        "that opens the bot with the campaign's code, and a WhatsApp link whose first message is "
        "filled in with a greeting and the code (ref:NAME). The bot notes the code on a new person's "
        "first message and never reads it as a question; the report counts, per campaign, who "
        "arrived, asked a question and was handed to the team. Writes a QR code (PNG) of each link "
        "in --out. The bot's username and number come from TELEGRAM_BOT_USERNAME and "
        "WHATSAPP_NUMBER, or --bot and --number. Changes nothing in the database.",
        ("outreach-bot campaign new 'Flyer Gare du Nord' --bot OutreachBxlBot", "the Telegram link and its QR code"),
        ("outreach-bot campaign new van-march --number 32470123456 --lang es --out qr/", "a WhatsApp link greeting in Spanish, its QR code in qr/"),
    )
    new.add_argument("name", help="the campaign's name; links carry it in lower case, e.g. flyer-gare-du-nord")
    new.add_argument("--bot", help="the bot's Telegram username (default TELEGRAM_BOT_USERNAME)")
    new.add_argument("--number", help="the bot's WhatsApp number, international (default WHATSAPP_NUMBER)")
    new.add_argument("--lang", choices=sorted(campaign.GREETINGS), default="fr", help="the language of the WhatsApp link's greeting (default fr)")
    new.add_argument("--out", type=Path, default=Path("."), help="the folder of the QR codes (default: this one)")


def _add_db(commands: Subcommands) -> None:
    db_actions = _group(commands, "db", "The bot's database (DATABASE_URL).")
    _leaf(
        db_actions, "upgrade", db.upgrade, "apply the database migrations",
        "Brings the database (DATABASE_URL) up to date with this version of the bot: creates the "
        "tables the first time, then applies each change of their layout. The bot does it by itself "
        "at every start; this does it ahead, after an update for instance.",
        ("outreach-bot db upgrade", "update the database the settings name"),
    )


def _backend_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--backend", choices=["embedded", "rasa"], default="embedded",
        help="embedded: the bot's own language model (the default); rasa: ask the Rasa server at RASA_URL (outreach-bot nlu rasa-serve)",
    )


def _group(commands: Subcommands, name: str, about: str) -> Subcommands:
    group = commands.add_parser(name, description=about)
    return group.add_subparsers(metavar="ACTION", required=True)


def _leaf(
    commands: Subcommands, name: str, handler: Handler, summary: str, about: str, *examples: tuple[str, str]
) -> argparse.ArgumentParser:
    """A command that does something: its line in the list of commands, what it reads and changes
    (for a team member who is not a developer), and examples that work as written."""
    heading = "Example:" if len(examples) == 1 else "Examples:"
    epilog = heading + "".join(f"\n  {command}\n      {what}" for command, what in examples)
    parser = commands.add_parser(name, help=summary, description=_wrap(about), epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(command=handler)
    return parser


def _wrap(text: str) -> str:
    """Paragraphs fitted to the terminal's width, for a parser that keeps its text's lines (the examples')."""
    return "\n\n".join(textwrap.fill(paragraph, WIDTH) for paragraph in text.split("\n\n"))
