"""Every error the bot raises on purpose, under one root, by who can fix it.

- SettingsError: the operator (a setting is missing or wrong); `outreach-bot` prints its one
  sentence and exits with status 2.
- ContentInvalid: the team editing the FAQ, its training data or the permanence schedule; each
  Problem says file:line and what is wrong.
- NLUUnavailable: the language model could not be trained or reached (the Rasa server, its
  environment); the message says what to do.
- DatabaseUnreachable: the database server is away; a transaction is tried again.
- Unreadable: something a platform sent cannot be read; it is refused or set aside, never tried again.

Anything else that reaches the edges (the inbox and outbox workers, the webhooks) is a bug: it
is logged by class and place, never by its message, which may quote a person's text.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class BotError(Exception):
    """The root: `except BotError` catches what the bot raises on purpose, and nothing of a library's."""


class SettingsError(BotError):
    """A setting is missing or wrong; the message is one sentence for the person starting the bot."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, with `warning`, worth a look) in an editable file, at its line."""

    file: Path
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}: {kind}{self.message}"


class ContentInvalid(BotError):
    """An editable file is wrong; `problems` lists each place, warnings included."""

    headline = "the content files are invalid:"

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


class FaqInvalid(ContentInvalid):
    headline = "the FAQ is invalid; fix these problems (outreach-bot faq lint lists them):"


class ScheduleInvalid(ContentInvalid):
    headline = "the permanence schedule is invalid:"


class YamlError(ContentInvalid):
    """A file that is not the YAML it should be (a tab, a bad indent): its one problem, where the parser stopped."""

    def __init__(self, problem: Problem):
        super().__init__([problem])
        self.problem = problem


class NLUUnavailable(BotError):
    """The NLU could not be trained or reached."""


class TrainingFailed(NLUUnavailable):
    """Training the embedded NLU failed (in its child process); the previous model keeps serving."""


class RasaSetupError(NLUUnavailable):
    """The Rasa environment, training or server could not be had; the message says what to do."""


class DatabaseUnreachable(BotError):
    """Connecting to the database failed at the socket: refused, reset, unreachable, timed out.

    The driver raises a plain OSError there, which SQLAlchemy passes on as it is; raised from it,
    this tells `transient` the database's OSError from one of the work's own (a Rasa server
    restarting is not a reason to run the transaction again).
    """


class Unreadable(BotError):
    """Something received cannot be read (a stored update the library cannot parse, a mistyped webhook call):
    trying again would fail the same way."""
