"""The signature both directions carry: HMAC-SHA256 of `timestamp + "." + raw body` with the shared secret.

The timestamp is inside what is signed, so that a captured call cannot be replayed later with a
fresh timestamp: it is refused as stale once the window is over, and within the window its
message id is already in the inbox (docs/bridge.md, "Replays").
"""

import hashlib
import hmac
import re
from enum import Enum

TIMESTAMP_HEADER = "X-Bridge-Timestamp"
SIGNATURE_HEADER = "X-Bridge-Signature"
WINDOW_SECONDS = 300
"""How far a call's timestamp may be from the bot's clock, either side: clocks drift, replays wait."""

_PREFIX = "sha256="
_SECONDS = re.compile(r"\d{1,12}")


class Refusal(Enum):
    """Why a call's headers are refused; the value is the one line the bridge reads (never the call's content)."""

    SIGNATURE = "wrong or missing signature"
    STALE = "stale timestamp: more than 5 minutes from the bot's clock"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Bridge-Signature header's value."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def refusal(secret: str, timestamp: str | None, signed: str | None, body: bytes, now: float) -> Refusal | None:
    """None when the call is signed with the secret and timestamped within the window.

    The signature is checked first, in constant time: an unsigned caller learns nothing about the
    window, and a signed one whose clock is off is told so.
    """
    if timestamp is None or signed is None:
        return Refusal.SIGNATURE
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), signed.strip().lower().encode()):
        return Refusal.SIGNATURE
    if not _SECONDS.fullmatch(timestamp) or abs(now - int(timestamp)) > WINDOW_SECONDS:
        return Refusal.STALE
    return None
