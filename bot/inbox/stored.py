"""A person's message as the channels fed by JSON webhooks keep it in the inbox (WhatsApp, WAHA, the bridge).

Only what handling needs: their id on the platform (also where the replies go), the kind, the
text and the button pressed; never a profile name. Telegram keeps its raw updates instead
(bot/channels/telegram/inbox.py).
"""

from typing import Any, cast, get_args

from bot.errors import Unreadable
from bot.inbox.keys import KeyOf, sender_key
from bot.messages import InboundMessage, MessageKind
from bot.storage.inbox_queries import Claimed


def inbox_row(key_of: KeyOf, channel: str, delivery_id: str | None, sender: str, kind: str, text: str, button: str | None = None) -> dict[str, Any]:
    payload = {"from": sender, "kind": kind, "text": text, "payload": button}
    return {"channel": channel, "delivery_id": delivery_id, "sender_key": sender_key(key_of, channel, sender), "payload": payload}


def stored_message(item: Claimed, channel: str, numbered: bool = False) -> InboundMessage:
    """The message as `inbox_row` stored it; Unreadable when it is not that."""
    payload = item.payload if isinstance(item.payload, dict) else {}
    sender, kind, text, button = payload.get("from"), payload.get("kind"), payload.get("text"), payload.get("payload")
    if not isinstance(sender, str) or kind not in get_args(MessageKind) or not isinstance(text, str) or not isinstance(button, (str, type(None))):
        raise Unreadable("not a message the bot stored")
    return InboundMessage(
        channel, external_id=sender, address=sender, kind=cast(MessageKind, kind), text=text, payload=button,
        delivery_id=item.delivery_id, inbox_id=item.id, numbered=numbered,
    )


def apology_address(payload: dict[str, Any]) -> str | None:
    sender = payload.get("from")
    return sender if isinstance(sender, str) and sender else None
