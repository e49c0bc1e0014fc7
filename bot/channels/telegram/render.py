"""A Reply as Telegram messages: HTML-escaped pieces within Telegram's length limit, buttons as an inline keyboard.

Kept apart from the handlers so that what the person sees can be tested without a server.
"""

import html
import logging
from collections.abc import Iterable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.messages import QuickReply

log = logging.getLogger(__name__)

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
MAX_CALLBACK_DATA = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


def html_text(text: str) -> str:
    """Plain text as Telegram HTML: `<`, `>` and `&` would otherwise be read as markup."""
    return html.escape(text, quote=False)


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the basic plane counts twice."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` units, cut between lines; a longer line between words, a longer word anywhere."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in _fit_line(line, limit):
            candidate = f"{current}\n{part}" if current else part
            if current and telegram_length(candidate) > limit:
                pieces.append(current)
                candidate = part
            current = candidate
    pieces.append(current)
    return [piece for piece in (p.strip("\n") for p in pieces) if piece.strip()]


def _fit_line(line: str, limit: int) -> Iterable[str]:
    if telegram_length(line) <= limit:
        yield line
        return
    current = ""
    for word in line.split(" "):
        for part in _fit_word(word, limit):
            candidate = f"{current} {part}" if current else part
            if current and telegram_length(candidate) > limit:
                yield current
                candidate = part
            current = candidate
    if current:
        yield current


def _fit_word(word: str, limit: int) -> Iterable[str]:
    current = ""
    for char in word:
        if telegram_length(current + char) > limit:
            yield current
            current = ""
        current += char
    yield current


def inline_keyboard(quick_replies: Iterable[QuickReply]) -> InlineKeyboardMarkup | None:
    """One button a row: labels in Arabic or Spanish run long, and phones are narrow.

    A payload over Telegram's 64 bytes would make Telegram refuse the whole message, so that
    button is left out (and logged: it is a bug in the FAQ ids or the engine, not the person's).
    """
    rows = []
    for quick in quick_replies:
        if len(quick.payload.encode()) > MAX_CALLBACK_DATA:
            log.error("A button was left out: its payload is over %d bytes (%r).", MAX_CALLBACK_DATA, quick.payload)
            continue
        rows.append([InlineKeyboardButton(quick.label, callback_data=quick.payload)])
    return InlineKeyboardMarkup(rows) if rows else None
