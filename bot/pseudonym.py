"""Pseudonyms: the only name staff and statistics ever see for a person.

A keyed hash (HMAC-SHA256) of the channel and the channel's id of the person: the same person
always gets the same pseudonym, and without the key nobody can go back from it to a phone
number or a Telegram id.
"""

import base64
import hashlib
import hmac

LENGTH = 8


def pseudonym(key: str, channel: str, external_id: str) -> str:
    digest = hmac.new(key.encode(), f"{channel}:{external_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:LENGTH]
