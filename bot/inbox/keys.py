"""The key that keeps one person's messages in order in the inbox: a keyed hash, never a raw id."""

from collections.abc import Callable

KeyOf = Callable[[str, str], str]
"""Engine.pseudonym_of: the keyed hash of a channel and an id."""


def sender_key(key_of: KeyOf, channel: str, chat: object) -> str | None:
    """None for an update with no chat: it waits behind nothing and nothing waits behind it.

    Not the person's pseudonym (another "channel" goes into the hash): the inbox's rows are not
    linked to what staff see, and the key is erased once the row is handled.
    """
    if chat is None or isinstance(chat, (dict, list)):
        return None
    return key_of(f"inbox-{channel}", str(chat))
