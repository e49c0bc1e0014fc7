"""What a channel hands to the engine and what it gets back: the contract between them.

The engine knows no channel; a channel knows no FAQ. Every channel turns a Reply (text and
optional quick-reply buttons) into its own kind of message.
"""

from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True)
class QuickReply:
    label: str
    payload: str
    """At most 64 bytes (Telegram's callback data limit)."""


@dataclass(frozen=True)
class Reply:
    text: str
    lang: str
    quick_replies: tuple[QuickReply, ...] = ()
    discreet: bool = False
    """Health, drug or violence content: channels protect it from forwarding and saving."""
