"""Where a new person came from: the outreach campaign of the link or QR code they followed.

A Telegram deep link (t.me/<bot>?start=<source>) starts the chat with "/start <source>"; a
WhatsApp link (wa.me/<number>?text=<prefill>) fills the first message with a short code,
"ref:<source>", that the person sends without thinking about it. Only a first message is read
for it, and the code is taken out before the NLU reads the rest. Reports count, per source, the
people who arrived, asked a question, were handed over (bot/reports/).
"""

import re
from dataclasses import replace

from bot.messages import InboundMessage

SOURCE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
"""What a campaign's name becomes in a link: Telegram allows A-Z, a-z, 0-9, _ and - in a start parameter, 64 at most."""
_CODE = re.compile(r"\bref:(" + SOURCE.pattern + r")\b", re.IGNORECASE)
STATE_KEY = "source"
"""The person's state key holding their campaign, recorded with each of their statistics."""


def whatsapp_code(source: str) -> str:
    return f"ref:{source}"


def arrived_from(message: InboundMessage) -> tuple[InboundMessage, str | None]:
    """A first message's campaign, and the message as the NLU should read it (without the code)."""
    if message.kind != "text":
        return message, None
    words = message.text.split()
    if len(words) == 2 and words[0].split("@")[0].lower() == "/start" and SOURCE.fullmatch(words[1].lower()):
        return message, words[1].lower()
    found = _CODE.search(message.text)
    if found is None:
        return message, None
    rest = (message.text[: found.start()] + message.text[found.end() :]).strip()
    return replace(message, text=rest), found.group(1).lower()
