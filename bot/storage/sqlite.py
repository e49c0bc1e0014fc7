"""SQLite statements run on the event loop's own thread, through one connection.

aiosqlite runs every sqlite3 call on a thread of its own and hands the result back to the
event loop. SQLAlchemy makes three or four such calls a statement (cursor, execute, fetch,
close), and each hand-over wakes a thread, passes the GIL twice and wakes the loop. Measured
on the load benchmark's conversation, the engine took 6.1–8.7 ms of CPU a message with the
hand-overs and 3.4–4.0 ms without them, about what it takes on PostgreSQL. A statement on the
bot's small local database takes tens of microseconds: less than the hand-over around it.

So the engine keeps SQLAlchemy's sqlite+aiosqlite dialect but not aiosqlite's connection: the
dialect is handed `LoopThreadConnection`, which has the part of aiosqlite's interface the dialect
calls, over a plain sqlite3 connection. Overriding aiosqlite's own connection instead would mean
leaning on its private methods and attributes, which change between its releases.

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
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from typing import Any, Self

from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's (an `outreach-bot` command's) write to end."""

Parameters = Sequence[Any] | Mapping[str, Any]


class LoopThreadConnection:
    """What SQLAlchemy's aiosqlite dialect awaits of an aiosqlite connection, run in place.

    Two calls leave the loop's thread. The commit: a COMMIT syncs the write-ahead log to the disk
    (and, now and then, copies it into the database file), which takes milliseconds to tens of
    milliseconds of waiting for the disk, not of CPU. On the loop's thread that wait would stop
    every other conversation, and a reply the platform has taken would wait that long to be noted
    (bot/storage/journal.py). The close, for the same reason: closing the last connection copies
    the log into the database file.

    `_connection` is read by SQLAlchemy (2.1), not by us: it commits and rolls back only while it
    is set, as aiosqlite's is until the connection is closed. Changing the isolation level is not
    supported (the dialect does it through aiosqlite's private queue); the bot never does on SQLite.
    """

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.sqlite = connection
        """The sqlite3 connection, for what SQLAlchemy has no statement for (`truncate_wal`)."""
        self._connection: sqlite3.Connection | None = connection

    def cursor(self) -> "LoopThreadCursor":
        return LoopThreadCursor(self.sqlite.cursor())

    async def commit(self) -> None:
        await asyncio.to_thread(self.sqlite.commit)

    async def rollback(self) -> None:
        self.sqlite.rollback()

    async def create_function(self, name: str, narg: int, func: Callable[..., Any], *, deterministic: bool = False) -> None:
        self.sqlite.create_function(name, narg, func, deterministic=deterministic)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            await asyncio.to_thread(self.sqlite.close)

    def stop(self) -> None:
        """SQLAlchemy's terminate, where it cannot await `close`: a connection garbage-collected, or one whose close failed."""
        self._connection = None
        self.sqlite.close()


class LoopThreadCursor:
    """What SQLAlchemy's aiosqlite dialect awaits of an aiosqlite cursor, run in place."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, Self]:
        """SQLAlchemy 2.0 awaits `cursor()`, 2.1 enters it; aiosqlite's `cursor()` allows both."""
        yield from ()
        return self

    async def __aenter__(self) -> Self:
        return self

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    async def execute(self, sql: str, parameters: Parameters = ()) -> Self:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Parameters]) -> Self:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


async def open_connection(path: str) -> LoopThreadConnection:
    """For `create_async_engine(async_creator=…)`: the arguments SQLAlchemy's aiosqlite dialect would pass.

    check_same_thread=False: the commit and the close run on a worker thread (`LoopThreadConnection`).
    """
    return LoopThreadConnection(sqlite3.connect(path, timeout=BUSY_TIMEOUT, check_same_thread=False))


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
        if not isinstance(driver, LoopThreadConnection):
            return
        busy, _log_pages, _copied = await asyncio.to_thread(_checkpoint, driver.sqlite)
    if busy:
        log.warning("The write-ahead log could not be emptied after an erasure (another process is reading); the next erasure, or the bot stopping, will.")


def _checkpoint(connection: sqlite3.Connection) -> tuple[int, int, int]:
    row = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
