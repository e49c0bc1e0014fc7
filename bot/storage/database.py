"""Connecting to the database and bringing its schema up to date with Alembic."""

from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import AsyncAdaptedQueuePool, Connection, QueuePool, event, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.storage.sqlite import open_connection

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 7_305_917
"""PostgreSQL advisory lock key: several bot processes starting at once migrate one at a time."""


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
    engine = create_async_engine(url, hide_parameters=True)
    event.listen(engine.sync_engine, "checkout", _drop_if_closed_by_the_server)
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
    if record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


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
