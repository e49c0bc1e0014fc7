"""A Reply as WhatsApp Cloud API messages: text within WhatsApp's limits, quick replies as reply buttons or a list.

Kept apart from the webhook and the HTTP client so that what the person sees can be tested
without a server. The limits are WhatsApp's: a message over one of them is refused whole.
"""

import logging
from collections.abc import Sequence

from bot.channels.text import split
from bot.messages import QuickReply, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096
"""A text message's body."""
MAX_INTERACTIVE_BODY = 1024
"""The body of a message that carries reply buttons or a list."""
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20
"""The label of the button that opens a list."""

_FSI, _PDI = "\u2068", "\u2069"
"""The Unicode isolates around Latin names in Arabic text (bot/bidi.py)."""


def pieces(reply: Reply) -> list[Reply]:
    """One Reply per WhatsApp message, in order; the quick replies go with the last.

    The pieces are consecutive slices of the text, so that what was not sent yet is the
    concatenation of the pieces left (see `rest`).
    """
    if not reply.quick_replies:
        head, tail = reply.text, ""
    else:
        head, tail = _tail(reply.text, MAX_INTERACTIVE_BODY)
    parts = [Reply(text, reply.lang, (), reply.discreet) for text in split(head, MAX_TEXT) if text.strip()]
    if reply.quick_replies:
        parts.append(Reply(tail, reply.lang, reply.quick_replies, reply.discreet))
    return parts


def rest(parts: Sequence[Reply]) -> Reply:
    """The pieces not sent yet, as one Reply again (to be queued and split anew)."""
    last = parts[-1]
    return Reply("".join(part.text for part in parts), last.lang, last.quick_replies, last.discreet)


def _tail(text: str, limit: int) -> tuple[str, str]:
    """(head, tail): the tail at most `limit` characters, starting at a line, else a word, if it can."""
    if len(text) <= limit:
        return "", text
    window = text[-limit:]
    start = window.find("\n") + 1 or window.find(" ") + 1
    cut = len(text) - limit + (start if 0 < start < len(window) else 0)
    return text[:cut], text[cut:]


def message(part: Reply, list_button: str) -> dict:
    """The Graph API fields of one piece (without `to`): text, reply buttons (up to 3) or a list (up to 10 rows)."""
    body = part.text.strip()
    quick = _sendable(part.quick_replies)
    if not quick:
        return {"type": "text", "text": {"body": body, "preview_url": False}}
    if len(quick) <= MAX_BUTTONS:
        titles = titles_within([q.label for q in quick], MAX_BUTTON_TITLE)
        buttons = [{"type": "reply", "reply": {"id": q.payload, "title": title}} for q, title in zip(quick, titles, strict=True)]
        return {"type": "interactive", "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}}
    titles = titles_within([q.label for q in quick], MAX_ROW_TITLE)
    rows = [{"id": q.payload, "title": title} for q, title in zip(quick, titles, strict=True)]
    action = {"button": _cut(list_button, MAX_LIST_BUTTON), "sections": [{"rows": rows}]}
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": body}, "action": action}}


def template(name: str, language_code: str) -> dict:
    """A pre-approved template without parameters: the only kind of message allowed outside the 24-hour window."""
    return {"type": "template", "template": {"name": name, "language": {"code": language_code}}}


def titles_within(labels: Sequence[str], limit: int) -> list[str]:
    """The labels cut to `limit` characters, and kept distinct: WhatsApp refuses two buttons with one title."""
    titles: list[str] = []
    for label in labels:
        title = _cut(label, limit)
        number = 2
        while title in titles:
            suffix = f" {number}"
            title = _cut(label, limit - len(suffix)) + suffix
            number += 1
        titles.append(title)
    return titles


def _cut(label: str, limit: int) -> str:
    label = label.strip()
    if len(label) <= limit:
        return label
    cut = label[: limit - 1].rstrip()
    if cut.count(_FSI) > cut.count(_PDI):
        cut = cut[:-1] + _PDI
    return cut + "…"


def _sendable(quick_replies: Sequence[QuickReply]) -> list[QuickReply]:
    """The quick replies WhatsApp takes: distinct payloads, ids within the limit, at most 10.

    Anything left out is logged: it is a bug in the FAQ or the engine, not the person's.
    """
    kept: list[QuickReply] = []
    limit = MAX_BUTTON_ID if len(quick_replies) <= MAX_BUTTONS else MAX_ROW_ID
    for quick in quick_replies:
        if len(quick.payload) > limit or any(k.payload == quick.payload for k in kept):
            log.error("A WhatsApp button was left out: its payload is too long or repeated (%r).", quick.payload)
            continue
        kept.append(quick)
    if len(kept) > MAX_ROWS:
        log.error("A WhatsApp list shows %d of %d choices: WhatsApp allows %d rows.", MAX_ROWS, len(kept), MAX_ROWS)
    return kept[:MAX_ROWS]
