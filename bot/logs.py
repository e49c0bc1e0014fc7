"""The log filter that keeps personal data out of every log line, the libraries' included.

The bot's own code never puts a text, a name, a number or an id in a message. The libraries
do, in their arguments: python-telegram-bot logs a batch it cannot parse at CRITICAL, raw (names,
chat ids, texts), httpx and aiohttp put URLs (with the bot token) and bodies in theirs. And an
exception's message, printed under its traceback, can quote whatever the failing code held.

So, on every handler of the root logger: a library's record keeps its format string and loses
its arguments; any record's traceback keeps its frames (file, line, function, the code) and the
exception's class, and loses the exception's message.
"""

import logging
import traceback

OWN = ("bot", "handover", "nlu", "__main__")
"""The loggers whose arguments are the bot's own: ids never, counts and classes only."""
WITHHELD = "<withheld>"


class PrivacyFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and not record.name.startswith(OWN):
            template = str(record.msg)
            record.msg = template.split("%", 1)[0].rstrip(" :=(`'\"") + f" {WITHHELD}" if "%" in template else template
            record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _frames_only(record.exc_info[1])
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = WITHHELD
        return True


def _frames_only(error: BaseException | None) -> str:
    """The traceback as Python prints it, each exception's message left out (chained ones too)."""
    lines: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        block = ["Traceback (most recent call last):\n", *traceback.format_tb(error.__traceback__), f"{type(error).__module__}.{type(error).__qualname__}: {WITHHELD}\n"]
        lines = block + (["\nThe above exception led to the following one:\n"] if lines else []) + lines
        error = error.__cause__ or error.__context__
    return "".join(lines).rstrip("\n")


def install() -> None:
    """On every handler of the root logger (call after logging is configured)."""
    privacy = PrivacyFilter()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, PrivacyFilter) for existing in handler.filters):
            handler.addFilter(privacy)
