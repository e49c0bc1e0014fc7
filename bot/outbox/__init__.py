"""Delivering what is not the immediate reply to a person's message: staff replies, relays to the
staff group, notices, and what a platform could not take at once (worker.py; the queries are in
bot/storage/outbox.py)."""

from typing import Protocol

STAFF = "staff"
"""The outbox channel of messages for the staff group."""


class StaffRoom(Protocol):
    """The staff group: one topic per handover (Telegram forum topics)."""

    async def open_topic(self, title: str) -> int:
        """Create a topic and return its thread id."""
        ...

    async def post(self, thread_id: int | None, text: str) -> None:
        """Post in a topic, or in the group's general topic when `thread_id` is None."""
        ...
