"""A Reply as the texts WAHA sends: the numbered choices are already in its text (bot/engine/numbered.py).

WhatsApp bridges show no buttons reliably, so a reply is text alone, cut into messages WhatsApp
takes whole. Kept apart from the HTTP client so that what the person reads is tested without a server.
"""

from bot.channels.text import split
from bot.messages import Reply

MAX_TEXT = 4096
"""The longest text the bot sends in one WhatsApp message: the Cloud API's limit, which every client shows whole."""


def pieces(reply: Reply) -> list[str]:
    """The reply's text in order, each piece within MAX_TEXT; nothing for a reply without text."""
    return [piece for piece in split(reply.text.strip(), MAX_TEXT) if piece.strip()]
