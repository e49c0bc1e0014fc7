"""The `outreach-bot` command line as a new team member meets it: help that explains, progress
while it loads, a chat that can start afresh, a queue that says what its columns mean."""

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from bot.cli import build_parser, leaf_commands, main
from bot.cli.handover import Waiting, render_queue
from bot.cli.nlu import READING
from bot.cli.progress import LOADING, READY

COMMANDS = [name for name, _summary, _parser in leaf_commands(build_parser())]


@pytest.fixture
def local_bot(tmp_path, monkeypatch, faq, nlu) -> Iterator[None]:
    """A database of its own, the session's FAQ and NLU instead of training again, and the root
    logger's level put back (chat raises it to WARNING)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'chat.sqlite3'}")
    monkeypatch.setenv("FAQ_RELOAD_SECONDS", "0")
    monkeypatch.setattr("bot.app.load_knowledge", lambda _settings: (faq, nlu))
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)


def chat(monkeypatch, *arguments: str, lines: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    return main(["chat", *arguments])


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_says_what_it_does_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*command.split(), "--help"])
    help_text = capsys.readouterr().out
    assert exit.value.code == 0
    description = help_text.split("\n\n")[1]
    assert "Example" in help_text and f"outreach-bot {command}" in help_text.split("Example")[1]
    assert len(description) > 80 and not description.startswith(("options:", "positional"))


def test_the_top_level_help_lists_every_command_on_one_line(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    lines = capsys.readouterr().out.splitlines()
    for command in COMMANDS:
        assert sum(line.strip().startswith(f"{command}  ") for line in lines) == 1, command


def test_chat_says_its_progress_on_stderr_and_keeps_stdout_for_the_answers(local_bot, monkeypatch, capsys):
    assert chat(monkeypatch, lines="bonjour\n") == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [LOADING, READY]
    assert captured.out.startswith("> bonjour\n") and LOADING not in captured.out and READY not in captured.out


def test_chat_new_forgets_the_previous_conversation_and_its_request_to_the_team(local_bot, monkeypatch, capsys):
    assert chat(monkeypatch, lines="je veux parler à quelqu'un\n") == 0
    main(["handover", "queue"])
    assert "asked for a person" in capsys.readouterr().out
    assert chat(monkeypatch, "--new") == 0
    assert "The previous conversation is erased." in capsys.readouterr().err
    main(["handover", "queue"])
    assert capsys.readouterr().out == "Nobody is waiting.\n"


def test_nlu_eval_says_its_progress_on_stderr_and_prints_only_the_report(local_bot, tmp_path, capsys):
    labelled = tmp_path / "two.jsonl"
    labelled.write_text("\n".join(json.dumps({"text": text, "intent": "prep.info", "lang": "fr"}) for text in ("c koi la prep", "la prep c quoi")))
    assert main(["nlu", "eval", str(labelled)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [LOADING, READING]
    assert LOADING not in captured.out and "accuracy" in captured.out.lower()


def test_the_queue_has_a_header_and_a_legend_of_priorities_states_and_staff_topics():
    crisis = Waiting("N3LXJ6QP", "fr", "crisis.violence", 10, "waiting", 12, has_topic=False)
    lines = render_queue([crisis]).splitlines()
    assert lines[0].split()[:4] == ["pseudonym", "lang", "reason", "priority"]
    assert "crisis (10)" in lines[1] and "12 min ago" in lines[1] and lines[1].endswith("none yet")
    legend = "\n".join(lines[2:])
    assert all(word in legend for word in ("urgent (5", "normal (0)", "waiting: nobody took it yet", "active: a staff member has it", "STAFF_CHAT_ID"))


def test_an_empty_queue_says_nobody_is_waiting():
    assert render_queue([]) == "Nobody is waiting."


def test_an_unexpected_error_is_one_sentence_without_a_traceback_or_its_message(monkeypatch, capsys):
    def broken(_settings, _args):
        raise RuntimeError("a message that could quote someone")

    monkeypatch.setattr("bot.cli.handover.schedule", broken)
    assert main(["handover", "schedule"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "RuntimeError" in error and "LOG_LEVEL=DEBUG" in error
    assert "Traceback" not in error and "could quote" not in error
