"""SQLite statements run on the event loop's own thread, through one connection.

aiosqlite runs every sqlite3 call on a thread of its own and hands the result back to the
event loop. SQLAlchemy makes three or four such calls a statement (cursor, execute, fetch,
close), and each hand-over wakes a thread, passes the GIL twice and wakes the loop. Measured
on the load benchmark's conversation, the engine took 6.1–8.7 ms of CPU a message with the
hand-overs and 3.4–4.0 ms without them, about what it takes on PostgreSQL. A statement on the
bot's small local database takes tens of microseconds: less than the hand-over around it.

The condition is one connection per process (the pool of one that `connect` sets up). With two,
a transaction that awaits something else while it holds SQLite's write lock would leave another
connection's write spinning in SQLite's busy handler, on the loop thread that the first one needs
to finish. With one, the second transaction waits for the connection in the pool, as a coroutine.

Erased means erased (`set_pragmas`, `truncate_wal`): deleted rows are overwritten with zeros, and
after an erasure the write-ahead log, which still holds the pages as they were, is emptied.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's (an `outreach-bot` command's) write to end."""


class LoopThreadConnection(aiosqlite.Connection):
    """aiosqlite's connection, every call of which goes through `_execute`, with that one method run in place.

    aiosqlite's thread still opens the connection, and SQLAlchemy sets the isolation level
    through it; it stops when the connection is closed. It also commits: a COMMIT syncs the
    write-ahead log to the disk (and, now and then, copies it into the database file), which
    takes milliseconds to tens of milliseconds of waiting for the disk, not of CPU. On the loop's
    thread that wait would stop every other conversation, and a reply the platform has taken
    would wait that long to be noted (bot/storage/journal.py).
    """

    async def commit(self) -> None:
        await super()._execute(self._conn.commit)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


async def open_connection(path: str) -> aiosqlite.Connection:
    """For `create_async_engine(async_creator=…)`: the arguments SQLAlchemy's aiosqlite dialect would pass."""
    connection = LoopThreadConnection(partial(sqlite3.connect, path, timeout=BUSY_TIMEOUT, check_same_thread=False), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy's dialect does: a connection left open must not keep the process alive
    return await connection


def set_pragmas(connection: DBAPIConnection) -> None:
    """Run on every new connection (SQLAlchemy's "connect" event, bot/storage/database.py).

    secure_delete: a deleted row (a /forget, the retention purge) is overwritten with zeros in
    its page rather than left in the file's free space. Some builds of SQLite have it on by
    default, others (Python's own on macOS and Windows) not.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


async def truncate_wal(engine: AsyncEngine) -> None:
    """Copies the write-ahead log into the database file and empties it, once an erasure is committed.

    Until then the log holds the pages as they were before the erasure, text included, and SQLite
    empties it only when it grows past its own threshold or the last connection closes. It runs
    after the commit (a checkpoint cannot take pages of a transaction still open) on a worker
    thread: it writes and syncs up to a few megabytes, which the event loop need not wait for.
    The process's one connection is checked out meanwhile, so nothing else uses it; the other
    transactions wait for it in the pool, as coroutines.
    """
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        sqlite_connection = driver._connection if isinstance(driver, aiosqlite.Connection) else None
        if sqlite_connection is None:
            return
        busy, _log_pages, _copied = await asyncio.to_thread(_checkpoint, sqlite_connection)
    if busy:
        log.warning("The write-ahead log could not be emptied after an erasure (another process is reading); the next erasure, or the bot stopping, will.")


def _checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    row = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
