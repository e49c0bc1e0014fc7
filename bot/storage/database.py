"""Connecting to the database, telling its passing failures from real ones, and bringing its schema up to date with Alembic."""

import errno
import random
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import AsyncAdaptedQueuePool, Connection, CursorResult, QueuePool, Result, event, make_url, text
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.errors import DatabaseUnreachable, SettingsError
from bot.storage.sqlite import open_connection, set_pragmas

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 7_305_917
"""PostgreSQL advisory lock key: several bot processes starting at once migrate one at a time."""

RETRY_FOR = 30.0
"""Seconds a unit of work is tried again while the database is unreachable, before it fails for good.

A restart of PostgreSQL (a minor upgrade, a configuration change, a container moved) keeps it
away from under a second to some ten seconds; 30 s rides that out with room, and is still a wait
that a person who wrote can bear, rather than an apology and "write again". It is also SQLite's
BUSY_TIMEOUT: a transaction that waited that long for another process's lock is not tried again.
"""
FIRST_RETRY_AFTER = 0.05
"""Seconds before the first try again: a dropped connection is often replaced at once."""
LONGEST_RETRY_AFTER = 1.0
"""The wait doubles up to this: once the server is back, a message waits at most about this long for it."""

POOL_SIZE = 20
"""PostgreSQL connections each process keeps open, all opened at start (`open_connections`).

The inbox worker handles many people at once (bot/inbox/worker.py), each with a transaction or
two. With SQLAlchemy's default of 5, the others were opened for a moment and closed again
(the pool's overflow), each paying asyncpg's connection set-up and type introspection: at 1000
people writing (benchmarks/telegram_load.py) the p99 was 0.7 to 1.1 s; with 20 kept, 145 ms.
Several processes share PostgreSQL's 100 connections: four of them fit."""
POOL_OVERFLOW = 4

_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
"""PostgreSQL's admin_shutdown, crash_shutdown, cannot_connect_now (starting up or shutting down)
and too_many_connections (every process reconnecting at once after a restart); class 08, the
connection exceptions, is transient too."""
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE, errno.ENETDOWN, errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ETIMEDOUT}
)


def touched(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE touched: `execute` gives a CursorResult for them, typed as a Result."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def connect(url: str) -> AsyncEngine:
    """hide_parameters: a failed query's error message would otherwise quote its values (message text, addresses).

    SQLite: one connection, whose statements run on the event loop's thread (bot/storage/sqlite.py).
    """
    if url.startswith("sqlite"):
        path = make_url(url).database or ":memory:"
        engine = create_async_engine(
            url, async_creator=partial(open_connection, path), poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    event.listen(engine.sync_engine, "checkout", _drop_if_closed_by_the_server)
    event.listen(engine.sync_engine, "do_connect", _connect_or_unreachable)
    return engine


async def open_connections(engine: AsyncEngine) -> None:
    """Opens the pool's connections at start, all at once, then gives them back to the pool.

    Otherwise the first people to write after a start wait while their messages open them
    (a PostgreSQL connection takes several round trips to set up).
    """
    count = engine.pool.size() if isinstance(engine.pool, QueuePool) else 1
    async with AsyncExitStack() as stack:
        for _ in range(count):
            connection = await stack.enter_async_context(engine.connect())
            await connection.execute(text("SELECT 1"))


def _drop_if_closed_by_the_server(_dbapi_connection, record: ConnectionPoolEntry, _proxy) -> None:  # type: ignore[no-untyped-def]
    """A restart of PostgreSQL closes every connection of the pool: take a new one instead.

    asyncpg knows without asking once it has read the server's goodbye. `pool_pre_ping` would
    ask: a BEGIN, a ping and a ROLLBACK before every transaction, 0.8 ms of CPU a message, a
    fifth of the engine's. Raising DisconnectionError makes the pool replace the connection.
    A message in the very instant of a restart is covered by Storage.transaction's retry.
    """
    if record.driver_connection is not None and record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


def _connect_or_unreachable(dialect, _record, cargs, cparams):  # type: ignore[no-untyped-def]
    """SQLAlchemy's "do_connect" event: the dialect's own connect, its socket errors raised as DatabaseUnreachable."""
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as error:
        if _network_error(error):
            raise DatabaseUnreachable(type(error).__name__) from error
        raise


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    set_pragmas(dbapi_connection)


def transient(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached, rather than that the work was wrong.

    Transient: a lost or refused connection, a server shutting down or starting up, SQLite's
    "database is locked". Never an error of the statements or the data (an IntegrityError, a
    DataError, a syntax error): running the same work again would fail the same way. Nor an
    error that did not come from the database (the work's own, even a ConnectionError).
    """
    if isinstance(error, (DatabaseUnreachable, DisconnectionError)):
        return True
    if not isinstance(error, DBAPIError) or isinstance(error, (IntegrityError, DataError)):
        return False
    return error.connection_invalidated or any(_transient_cause(cause) for cause in _causes(error.orig))


def retry_after(failures: int) -> float:
    """Exponential backoff with jitter: the processes and messages that failed together do not all come back at once."""
    longest = min(LONGEST_RETRY_AFTER, FIRST_RETRY_AFTER * 2**failures)
    return random.uniform(longest / 2, longest)


def error_name(error: BaseException) -> str:
    """The class of the driver's own error under SQLAlchemy's wrappers (AdminShutdownError rather than
    DBAPIError), never its message: a message can quote the values of a statement."""
    *_, innermost = _causes(error)
    return type(innermost).__name__


def _causes(error: BaseException | None) -> Iterator[BaseException]:
    """The error, the driver's error that SQLAlchemy wraps (`orig`), and what that one was raised from."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__


def _transient_cause(error: BaseException) -> bool:
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _TRANSIENT_SQLSTATES):
        return True
    if isinstance(error, sqlite3.OperationalError):
        return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY
    if type(error).__name__ == "InternalClientError":  # asyncpg's, or SQLAlchemy's name for it
        return "cannot switch to state" in str(error)  # a connection the server dropped mid-statement
    return _network_error(error)


def _network_error(error: BaseException) -> bool:
    """A socket's failure: refused, reset, unreachable, timed out, or several of them (asyncio's "Multiple exceptions")."""
    if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)):
        return True
    return isinstance(error, OSError) and (error.errno in _NETWORK_ERRNOS or str(error).startswith("Multiple exceptions"))


def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every migration not yet applied (safe to call at every start)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def _upgrade(connection: Connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


ERASED = "erased"
"""Noted in a session's `info` by a unit of work that erased personal data: Storage.unit runs
Storage.after_erasure once it is committed."""


def note_erasure(session: AsyncSession) -> None:
    """Personal data went in this unit of work: once it is committed, nothing of it may stay on disk."""
    session.info[ERASED] = True


def unreachable_database(error: BaseException) -> SettingsError:
    """The one sentence for a database that cannot be opened at start: a wrong DATABASE_URL, a server not running,
    a folder that does not exist. The driver's first line says which; the URL (and its password) is not repeated."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    detail = reason[0][:200] if reason else type(error).__name__
    return SettingsError(f"The setting DATABASE_URL is wrong, or its database is not running: it could not be opened ({detail}).")
