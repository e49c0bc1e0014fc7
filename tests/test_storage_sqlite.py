"""SQLite's statements on the event loop's thread, one connection a process (bot/storage/sqlite.py)."""

import asyncio
import threading
from datetime import UTC, datetime

from sqlalchemy import text

from bot.storage import Storage
from bot.storage.sqlite import LoopThreadConnection

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_statements_run_on_the_event_loop_thread_and_the_commit_off_it(storage: Storage):
    """The commit waits for the disk (bot/storage/sqlite.py): the loop must not wait with it."""
    loop_thread = threading.get_ident()
    on_loop_thread: dict[str, set[bool]] = {}
    async with storage.engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert isinstance(driver, LoopThreadConnection)
    driver.sqlite.set_trace_callback(lambda sql: on_loop_thread.setdefault(sql.split()[0], set()).add(threading.get_ident() == loop_thread))
    async with storage.unit() as repo:
        await repo.people.arrive("AAAA2222", "telegram", "AAAA2222", NOW)
    driver.sqlite.set_trace_callback(None)
    assert on_loop_thread == {"BEGIN": {True}, "UPDATE": {True}, "INSERT": {True}, "COMMIT": {False}}


async def test_a_streamed_result_is_read_in_place(storage: Storage):
    """A streamed result (a server-side cursor in SQLAlchemy's words) fetches from the cursor as it goes."""
    async with storage.engine.connect() as connection:
        result = await connection.stream(text("WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 5) SELECT value FROM n"))
        assert await result.fetchmany(2) == [(1,), (2,)]
        assert await result.fetchone() == (3,)
        assert await result.all() == [(4,), (5,)]


async def test_a_transaction_that_waits_while_it_writes_makes_the_next_one_wait_not_fail(storage: Storage):
    """With a second connection, the second write would spin in SQLite's busy handler and hold up the loop."""
    finished = []

    async def write(pseudonym: str) -> None:
        async with storage.unit() as repo:
            await repo.people.arrive(pseudonym, "telegram", pseudonym, NOW)
            await asyncio.sleep(0.05)  # a network call in the middle of the transaction
        finished.append(pseudonym)

    await asyncio.wait_for(asyncio.gather(write("AAAA2222"), write("BBBB3333")), timeout=5)
    assert finished == ["AAAA2222", "BBBB3333"]

