"""What a bridge posts to the bot: `{"id", "sender", "text", "kind", "timestamp"}`, checked field by field.

A field with the wrong type or out of bounds is refused with a one-line reason that names the
field and never quotes it: the reason goes back to the bridge and into the log.
"""

from dataclasses import dataclass
from typing import Any, cast

from bot.errors import Unreadable
from bot.messages import MessageKind

MAX_TEXT = 16_000
"""Characters of text a message may hold: more than any chat app sends at once (WhatsApp and
Telegram stop at 4,096), so only a runaway bridge reaches it."""
MAX_ID = 128
"""Characters of `id` and `sender`: what the inbox and the outbox keep of them."""
KINDS: tuple[MessageKind, ...] = ("text", "voice", "photo", "sticker", "document", "video", "location", "other")
"""The kinds a bridge may say. A message that is not text gets the same answer as on Telegram (the bot reads only text)."""


class Malformed(Unreadable):
    """A signed call the contract does not describe; its message is the reason the bridge is told."""


@dataclass(frozen=True)
class BridgeMessage:
    id: str
    """The bridge's id of the message: a message posted twice is handled once."""
    sender: str
    """The person's address on the bridge's platform; where the replies go. Never logged."""
    kind: MessageKind
    text: str


def message_of(payload: dict[str, Any]) -> BridgeMessage:
    """The message of a parsed body; Malformed with the reason when a field is missing or wrong."""
    message_id, sender = _name(payload, "id"), _name(payload, "sender")
    kind = _string(payload, "kind", "text")
    if kind not in KINDS:
        raise Malformed(f"kind must be one of {', '.join(KINDS)}")
    text = _string(payload, "text", "")
    if len(text) > MAX_TEXT:
        raise Malformed(f"text is longer than {MAX_TEXT} characters")
    timestamp = payload.get("timestamp")
    if timestamp is not None and (not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool)):
        raise Malformed("timestamp must be a number (Unix seconds)")
    return BridgeMessage(message_id, sender, cast(MessageKind, kind), text)


def _name(payload: dict[str, Any], key: str) -> str:
    value = _string(payload, key, "")
    if not value.strip():
        raise Malformed(f"{key} is missing")
    if len(value) > MAX_ID:
        raise Malformed(f"{key} is longer than {MAX_ID} characters")
    return value


def _string(payload: dict[str, Any], key: str, default: str) -> str:
    """The field's string; `default` when it is absent or null (a photo's text, say)."""
    value = payload.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Malformed(f"{key} must be a string")
    return value
