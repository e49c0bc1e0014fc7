"""What WAHA posts to the bot's webhook: its signature, and the people's messages in it.

WAHA (https://waha.devlike.pro/docs/how-to/events/) posts each event as JSON
`{"event", "session", "payload", …}`. With an HMAC key (WHATSAPP_HOOK_HMAC_KEY, or `hmac.key` in
a session's webhook) it adds `X-Webhook-Hmac`, the hex HMAC of the raw body, and
`X-Webhook-Hmac-Algorithm: sha512`. A `message` event's payload is a message
(https://waha.devlike.pro/docs/how-to/receive-messages/): `id`, `from` (the chat: `<number>@c.us`
for a person, `@g.us` a group, `status@broadcast` the status updates), `fromMe`, `body`,
`hasMedia` and `media.mimetype`, `location`, `vCards`, and `_data`, the engine's own raw message.

Only what a person writes to the bot's session is taken. A field the bot reads that is there with
the wrong type raises Malformed (a 400), never a guess.
"""

import hashlib
import hmac
from typing import Any

from bot.errors import Unreadable
from bot.messages import InboundMessage, MessageKind

CHANNEL = "waha"
HMAC_HEADER = "X-Webhook-Hmac"
ALGORITHM_HEADER = "X-Webhook-Hmac-Algorithm"
ALGORITHM = "sha512"
MAX_ID = 128
"""The inbox keeps a delivery id of up to 128 characters; WAHA's are some 50."""

PERSON_SUFFIXES = ("@c.us", "@lid")
"""A person's chat: their number, or the hidden id WhatsApp gives some accounts. Groups (@g.us),
status updates (status@broadcast), broadcast lists and channels (@newsletter) are not answered."""

_MIMETYPES: tuple[tuple[str, MessageKind], ...] = (
    ("image/webp", "sticker"),
    ("image/", "photo"),
    ("audio/", "voice"),
    ("video/", "video"),
    ("", "document"),
)
"""By the start of `media.mimetype`, first match: a sticker is a WebP image."""

_ENGINE_TYPES: dict[str, MessageKind] = {
    "ptt": "voice",
    "audio": "voice",
    "image": "photo",
    "sticker": "sticker",
    "video": "video",
    "document": "document",
    "location": "location",
    "vcard": "contact",
    "multi_vcard": "contact",
    "audioMessage": "voice",
    "imageMessage": "photo",
    "stickerMessage": "sticker",
    "videoMessage": "video",
    "documentMessage": "document",
    "locationMessage": "location",
    "contactMessage": "contact",
}
"""When WAHA did not download the media (WHATSAPP_DOWNLOAD_MEDIA=false), the engine's raw message
says what it was: WEBJS's `_data.type`, or the content key of NOWEB's `_data.message`."""


class Malformed(Unreadable):
    """A signed call whose fields do not have the types WAHA documents: refused with 400, not guessed at."""


def signature_ok(body: bytes, digest: str | None, algorithm: str | None, key: str) -> bool:
    """X-Webhook-Hmac is the hex HMAC-SHA512 of the raw body with the key; compared in constant time."""
    if digest is None or (algorithm or "").strip().lower() != ALGORITHM:
        return False
    expected = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode())


def incoming(envelope: dict[str, Any], session: str) -> InboundMessage | None:
    """A person's message to `session` as the engine takes it; None for any other event or message."""
    event, named = _text(envelope, "event"), _text(envelope, "session")
    if event != "message" or named != session:
        return None
    payload = _object(envelope.get("payload"))
    message_id, chat = _text(payload, "id"), _text(payload, "from")
    if not message_id or not chat or _flag(payload, "fromMe") or not chat.endswith(PERSON_SUFFIXES):
        return None
    if len(message_id) > MAX_ID:
        raise Malformed("a message id longer than the inbox keeps")
    kind = kind_of(payload)
    text = (_text(payload, "body") or "") if kind == "text" else ""
    return InboundMessage(CHANNEL, external_id=chat, address=chat, kind=kind, text=text, delivery_id=message_id, numbered=True)


def kind_of(payload: dict[str, Any]) -> MessageKind:
    """Text, or what the person sent instead: the caption of a photo is not read, as on Telegram."""
    if payload.get("location") is not None:
        return "location"
    if _flag(payload, "hasMedia"):
        mimetype = _text(_object(payload.get("media")), "mimetype")
        if mimetype:
            return next(kind for start, kind in _MIMETYPES if mimetype.lower().startswith(start))
        return _engine_kind(payload.get("_data")) or "other"
    if payload.get("vCards"):
        return "contact"
    return _engine_kind(payload.get("_data")) or "text"


def _engine_kind(data: object) -> MessageKind | None:
    """What the engine's raw message says it is, if it is one the bot names; never raises (its shape is the engine's)."""
    if not isinstance(data, dict):
        return None
    content = data.get("message")
    names = [data.get("type"), *(content.keys() if isinstance(content, dict) else ())]
    return next((_ENGINE_TYPES[name] for name in names if isinstance(name, str) and name in _ENGINE_TYPES), None)


def _object(value: object) -> dict[str, Any]:
    """An object; an empty one for a field that is not there."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed("an object expected")
    return value


def _text(item: dict[str, Any], key: str) -> str | None:
    """A string field; None when it is not there."""
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed("a string expected")
    return value


def _flag(item: dict[str, Any], key: str) -> bool:
    """A boolean field; False when it is not there."""
    value = item.get(key, False)
    if not isinstance(value, bool):
        raise Malformed("a boolean expected")
    return value
