"""SQLite's statements on the event loop's thread, one connection a process (bot/storage/sqlite.py)."""

import asyncio
import threading
from datetime import UTC, datetime

from sqlalchemy import text

from bot.storage import Storage

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_statements_run_on_the_event_loop_thread(storage: Storage):
    async with storage.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        raw.driver_connection._conn.create_function("thread_id", 0, threading.get_ident)
        assert await connection.scalar(text("SELECT thread_id()")) == threading.get_ident()


async def test_a_transaction_that_waits_while_it_writes_makes_the_next_one_wait_not_fail(storage: Storage):
    """With a second connection, the second write would spin in SQLite's busy handler and hold up the loop."""
    finished = []

    async def write(pseudonym: str) -> None:
        async with storage.unit() as repo:
            await repo.user_for_message(pseudonym, "telegram", pseudonym, NOW)
            await asyncio.sleep(0.05)  # a network call in the middle of the transaction
        finished.append(pseudonym)

    await asyncio.wait_for(asyncio.gather(write("AAAA2222"), write("BBBB3333")), timeout=5)
    assert finished == ["AAAA2222", "BBBB3333"]

