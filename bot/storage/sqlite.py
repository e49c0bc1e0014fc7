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
"""

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's (an `outreach-bot` command's) write to end."""


class LoopThreadConnection(aiosqlite.Connection):
    """aiosqlite's connection, every call of which goes through `_execute`, with that one method run in place.

    aiosqlite's thread still opens the connection, and SQLAlchemy sets the isolation level
    through it; it stops when the connection is closed.
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


async def open_connection(path: str) -> aiosqlite.Connection:
    """For `create_async_engine(async_creator=…)`: the arguments SQLAlchemy's aiosqlite dialect would pass."""
    connection = LoopThreadConnection(partial(sqlite3.connect, path, timeout=BUSY_TIMEOUT, check_same_thread=False), iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy's dialect does: a connection left open must not keep the process alive
    return await connection
