"""The command-line side of the Rasa backend: export its data, set it up, serve it, parse with it."""

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.app import load_knowledge
from bot.errors import RasaSetupError, SettingsError
from bot.faq.loader import load_faq
from bot.settings import Settings, require_rasa_token
from nlu.parse import Parse
from nlu.rasa_backend import RasaConnection, RasaNLU
from nlu.rasa_data import write_training_data
from nlu.rasa_server import (
    TRAINING_DATA,
    RasaEnvironment,
    find_python,
    prepare,
    rasa_environ,
    server_command,
)


def export(settings: Settings, out: Path | None) -> int:
    faq, _problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    path = out or TRAINING_DATA
    count = write_training_data(faq.examples(), path)
    print(f"{count} examples written to {path}", file=sys.stderr)
    return 0


def setup(settings: Settings, retrain: bool) -> int:
    """Build the Rasa environment and train (both cached): what `serve` does before it starts."""
    try:
        _prepare(settings, retrain)
    except RasaSetupError as error:
        print(f"outreach-bot: {error}", file=sys.stderr)
        return 1
    return 0


def serve(settings: Settings, retrain: bool) -> int:
    """Set up, then become the Rasa server: signals (Ctrl-C, a service manager's stop) reach it directly."""
    token = require_rasa_token(settings)
    try:
        environment, model = _prepare(settings, retrain)
    except RasaSetupError as error:
        print(f"outreach-bot: {error}", file=sys.stderr)
        return 1
    command = server_command(environment, model, str(settings.rasa_url), token)
    print(f"Starting Rasa with {model.name} at {settings.rasa_url} (ready when /status answers).", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os.execve(command[0], command, rasa_environ(settings.rasa_cache_dir))


def _prepare(settings: Settings, retrain: bool) -> tuple[RasaEnvironment, Path]:
    faq, _problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    environment, model = prepare(faq.examples(), find_python(settings.rasa_python), settings.rasa_cache_dir, retrain)
    return environment, model.path


@contextmanager
def parser_for(settings: Settings, backend: str) -> Iterator[Callable[[str], Parse]]:
    """A function from a message to its Parse, for `nlu parse` and `nlu eval`.

    With Rasa, a server that does not answer at the start is an error here (the figures would
    be the embedded NLU's), and any message it left to the embedded NLU later is reported.
    """
    _faq, embedded = load_knowledge(settings)
    if backend == "embedded":
        yield lambda text: embedded.parse_many([text])[0]
        return
    connection = RasaConnection(str(settings.rasa_url), require_rasa_token(settings))
    rasa = RasaNLU(connection, embedded)
    with asyncio.Runner() as runner:
        try:
            if not runner.run(connection.is_up()):
                raise SettingsError(
                    f"The Rasa server at {connection.url} does not answer with a model for this RASA_TOKEN: "
                    "start it with `outreach-bot nlu rasa-serve`."
                )
            yield lambda text: runner.run(rasa.parse(text))
        finally:
            runner.run(connection.aclose())
    if connection.unanswered:
        print(
            f"outreach-bot: the Rasa server did not answer {connection.unanswered} message(s); the embedded NLU did.",
            file=sys.stderr,
        )
