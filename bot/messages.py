"""What a channel hands to the engine and what it gets back: the contract between them.

The engine knows no channel; a channel knows no FAQ. Every channel turns a Reply (text and
optional quick-reply buttons) into its own kind of message.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

MessageKind = Literal["text", "button", "sticker", "voice", "photo", "video", "document", "location", "contact", "other"]


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    """"telegram", "whatsapp", "terminal"."""
    external_id: str
    """The person's id on that channel; turned into a pseudonym at once and never stored."""
    address: str
    """Where the replies go on that channel (a chat id)."""
    kind: MessageKind = "text"
    text: str = ""
    payload: str | None = None
    """For kind "button": the payload of the quick reply that was pressed."""
    edited: bool = False
    """The person edited a message they had sent earlier."""
    delivery_id: str | None = None
    """The platform's id for this delivery (Telegram's update_id, WhatsApp's message id): a
    message delivered twice is handled once, even by two bot processes."""
    inbox_id: int | None = None
    """The inbox row it came from (bot/inbox/): marked handled in the transaction that handles it."""
    numbered: bool = False
    """The channel has no buttons (a WhatsApp bridge): the replies list their choices with numbers,
    and a bare number the person writes picks from the last list they were sent (bot/engine/numbered.py)."""


@dataclass(frozen=True)
class QuickReply:
    label: str
    payload: str
    """At most 64 bytes (Telegram's callback data limit)."""
    number: int | None = None
    """What the person writes to choose it, on a channel without buttons; None where buttons are pressed."""


@dataclass(frozen=True)
class Reply:
    text: str
    lang: str
    quick_replies: tuple[QuickReply, ...] = ()
    discreet: bool = False
    """Health, drug or violence content: channels protect it from forwarding and saving."""


@dataclass(frozen=True)
class StoredReply:
    """A reply to a message from the inbox, already in the outbox (row `outbox_id`) when the channel gets it."""

    outbox_id: int
    reply: Reply


@dataclass(frozen=True)
class Delivered:
    message_id: str | None = None


@dataclass(frozen=True)
class RetryLater:
    """The platform is busy (429, 5xx, network): try again after `seconds`."""

    seconds: float


@dataclass(frozen=True)
class OutsideWindow:
    """WhatsApp's 24 hours since the person's last message are over: hold until they write."""


@dataclass(frozen=True)
class Undeliverable:
    reason: Literal["blocked", "invalid", "error"]
    """blocked: the person blocked the bot or left; invalid: the platform refused the message."""


DeliveryResult = Delivered | RetryLater | OutsideWindow | Undeliverable


class PersonSender(Protocol):
    """How the outbox reaches a person on one channel, outside the reply to their own message."""

    async def send(self, address: str, reply: Reply) -> DeliveryResult: ...

    async def announce_held(self, address: str, lang: str) -> DeliveryResult:
        """Tell the person an answer waits for them (WhatsApp: a pre-approved template)."""
        ...


def reply_to_body(reply: Reply) -> dict:
    return {
        "text": reply.text,
        "lang": reply.lang,
        "quick_replies": [[q.label, q.payload, q.number] for q in reply.quick_replies],
        "discreet": reply.discreet,
    }


def reply_from_body(body: dict) -> Reply:
    quick = tuple(QuickReply(label, payload, *number) for label, payload, *number in body.get("quick_replies", []))
    return Reply(body["text"], body["lang"], quick, bool(body.get("discreet")))
